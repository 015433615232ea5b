"""A Redis cache that degrades to "no cache" while Redis is unreachable or out of memory.

Django's RedisCache raises on connection errors; for this site a cache outage must slow pages
down, never break them. A Redis at its memory cap with no eviction refuses writes ("OOM command
not allowed"): for the site that is the same outage. Counters (incr/decr) still raise so that
rate limiting decides itself.
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError, OutOfMemoryError, TimeoutError

logger = logging.getLogger(__name__)
REDIS_DOWN = (ConnectionError, TimeoutError, OutOfMemoryError)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client, but one redis.Redis per connection pool rather than one per call.

    Django builds a new redis.Redis (and its table of ~170 response callbacks) for every cache
    operation, about 0.1 ms each; a page or a submission makes several. A redis.Redis holds no
    connection of its own (its pool does, and the pool starts afresh in a forked process), and
    is safe to share between threads.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailOpenRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient

    def _fail_open(self, operation, default, *args, **kwargs):
        try:
            return getattr(super(), operation)(*args, **kwargs)
        except REDIS_DOWN as error:
            logger.warning(
                "Cache unavailable during %s: %s", operation, type(error).__name__
            )
            return default

    def get(self, key, default=None, version=None):
        return self._fail_open("get", default, key, default, version)

    def get_many(self, keys, version=None):
        return self._fail_open("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._fail_open("has_key", False, key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set", None, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("set_many", list(data), data, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("add", False, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._fail_open("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._fail_open("delete", False, key, version)

    def delete_many(self, keys, version=None):
        return self._fail_open("delete_many", None, keys, version)

    def clear(self):
        return self._fail_open("clear", None)
