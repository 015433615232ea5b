"""One Redis key's value kept in each process, fresh because Redis says when it changes.

The page cache reads its generation on every request through a TrackedKey, so a hit costs no
round trip to Redis; set_tracked() writes such a key so that every process's next read sees it.
"""

import contextlib
import logging
import os
import select
import threading
import time

import redis
from django.core.cache import cache

from .backend import REDIS_DOWN

logger = logging.getLogger(__name__)


class TrackedKey:
    """One Redis key's value, kept in this process until Redis itself says that it changed.

    Redis's key tracking (CLIENT TRACKING over RESP3) pushes an "invalidate" message on this
    connection as soon as any client writes, expires, evicts or flushes the key. get() first
    reads whatever messages have arrived, without waiting, so it returns what a GET would,
    minus the round trip. redis-py's own client-side cache does the same but refuses servers
    older than 7.4, and Debian ships 7.0; this is the part of it the page cache needs.

    If the connection is lost, the value is forgotten and read afresh on reconnection; as a
    last resort against a silently dead connection, it is re-read at least every `max_age`
    seconds anyway. Where Redis refuses tracking (an ACL without CLIENT), every call reads.
    """

    _MISSING = object()

    def __init__(self, client, key, *, max_age=5.0):
        self.key = key
        self._loads = client._serializer.loads
        self.max_age = max_age
        self._options = client._pool_options
        self._url = client._servers[0]
        self._lock = threading.Lock()
        self._connection = None
        self._pid = None
        self._forget()

    def _forget(self, *message):
        self._value, self._read_at = self._MISSING, 0.0

    def _start_tracking(self, connection):
        # Called by redis-py on every (re)connection: tracking belongs to a connection.
        with contextlib.suppress(redis.ResponseError):
            # Named, so that CLIENT LIST tells these connections apart (where allowed).
            connection.send_command("CLIENT", "SETNAME", f"tracked-key-{os.getpid()}")
            connection.read_response()
        try:
            connection.send_command("CLIENT", "TRACKING", "ON")
            connection.read_response()
        except redis.ResponseError as error:
            # A managed Redis may deny CLIENT commands to this user: read on every call.
            logger.warning(
                "Redis refused key tracking, reading on every call: %s", error
            )
            self.max_age = 0.0
        connection._parser.set_invalidation_push_handler(self._forget)
        self._poll = select.poll()
        self._poll.register(connection._sock, select.POLLIN)
        # Over TLS (rediss://) a message can sit decrypted in the socket, unseen by poll().
        self._tls_pending = getattr(connection._sock, "pending", None)
        self._forget()

    def _connect(self):
        pool = redis.ConnectionPool.from_url(
            self._url,
            protocol=3,
            socket_connect_timeout=self._options.get("socket_connect_timeout"),
            socket_timeout=self._options.get("socket_timeout"),
        )
        self._connection = pool.make_connection()
        self._connection.register_connect_callback(self._start_tracking)
        self._pid = os.getpid()

    def _read_pushed_messages(self):
        # redis-py's own check for buffered or pending bytes; each message read runs _forget.
        while self._connection.can_read(timeout=0):
            self._connection.read_response(push_request=True)

    def get(self):
        """The key's value (None if unset); raises REDIS_DOWN errors as a GET would."""
        with self._lock:
            if self._pid != os.getpid():
                # A forked child must not share its parent's socket.
                self._connect()
            # A connection closed since the last call (a Redis restart, say) gets one more try.
            for attempt in ("first", "last"):
                was_connected = self._connection.is_connected
                try:
                    return self._get()
                except REDIS_DOWN:
                    self._connection.disconnect()
                    self._forget()
                    if attempt == "last" or not was_connected:
                        raise

    def _get(self):
        connection = self._connection
        if not connection.is_connected:
            connection.connect()
        # Nothing is left in redis-py's buffer between calls (see below), so asking the kernel
        # whether anything has arrived is enough, and far cheaper.
        if self._poll.poll(0) or (self._tls_pending and self._tls_pending()):
            self._read_pushed_messages()
        if (
            self._value is self._MISSING
            or time.monotonic() - self._read_at > self.max_age
        ):
            connection.send_command("GET", self.key)
            raw = connection.read_response(disable_decoding=True)
            value = None if raw is None else self._loads(raw)
            self._value, self._read_at = value, time.monotonic()
            # A message may have come in with the reply: read it now, so that the buffer is
            # empty again. (If it invalidates the value, the next call reads afresh.)
            self._read_pushed_messages()
            return value
        return self._value


def set_tracked(key, value, timeout=None):
    """cache.set() for a key that processes read through TrackedKey; False if it was not stored.

    Redis writes a SET's reply before the invalidation messages the SET causes (both at the end
    of one turn of its event loop), so on return from the SET alone another process could still
    be about to answer from its old value. The read that follows is answered only after those
    messages have gone out: once this returns, every process's very next read sees the value.
    """
    cache.set(key, value, timeout)
    # The cache fails open, so a refused write (Redis down or out of memory) raises nothing:
    # only reading the value back tells whether it was stored.
    return cache.get(key) == value


def delete_tracked(key):
    """cache.delete() for a tracked key, with set_tracked()'s read after it, for the same
    reason: once this returns, no process's next read still sees the old value."""
    cache.delete(key)
    cache.get(key)


_tracked_keys = {}
_tracked_keys_lock = threading.Lock()


def tracked_key(client, key):
    """The process's TrackedKey for `key` on the Redis server behind a RedisCache's `_cache`."""
    identity = (tuple(client._servers), key)
    with _tracked_keys_lock:
        if identity not in _tracked_keys:
            _tracked_keys[identity] = TrackedKey(client, key)
        return _tracked_keys[identity]
