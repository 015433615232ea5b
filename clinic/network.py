"""Who is asking: the client's address, for rate limits and sign-in lockouts alike.

`X-Forwarded-For` and `X-Forwarded-Proto` are believed only when the request reached us from one
of TRUSTED_PROXIES; from anyone else they are forged, so ForwardedHeadersMiddleware removes them
before anything (the page cache's key, SecurityMiddleware's HTTPS check) reads them.
"""

import functools
import ipaddress

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# What a proxy tells us about the client. Django reads X-Forwarded-Proto through
# SECURE_PROXY_SSL_HEADER; the others are removed too, so nothing can come to trust them later.
FORWARDED_HEADERS = (
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_X_FORWARDED_HOST",
    "HTTP_X_FORWARDED_PORT",
    "HTTP_FORWARDED",
)
# One household or office gets one IPv6 /64 (RFC 6177): counting addresses within it would let
# one guesser use billions of them.
IPV6_GROUP_PREFIX = 64
UNKNOWN_ADDRESS = "0.0.0.0"


@functools.cache
def _networks(entries):
    try:
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
    except ValueError as error:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {error}") from None


def trusted_proxies():
    return _networks(tuple(str(entry).strip() for entry in settings.TRUSTED_PROXIES))


def parse_address(text):
    """The address in `text` (IPv4-mapped IPv6 as IPv4), or None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except (AttributeError, ValueError):
        return None
    if address.version == 6 and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted_proxy(address) -> bool:
    return address is not None and any(
        address in network for network in trusted_proxies()
    )


@functools.lru_cache(maxsize=1024)
def _is_trusted_remote(remote_addr, proxies):
    # Every request asks this of its REMOTE_ADDR, and a site sees few peers (behind a proxy,
    # one): parsing the address each time was a tenth of a cached page's time in the process.
    # `proxies` is TRUSTED_PROXIES as the caller read it, only so that a changed setting is a
    # new key; is_trusted_proxy() reads the setting itself.
    return is_trusted_proxy(parse_address(remote_addr))


def _client_address(request):
    remote = parse_address(request.META.get("REMOTE_ADDR", ""))
    if not is_trusted_proxy(remote):
        return remote
    # Each trusted proxy appended the address it was reached from: walk back from the nearest
    # until an address that is not one of ours. Anything further left the client wrote itself.
    client = remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            break
        client = address
        if not is_trusted_proxy(address):
            break
    return client


def client_ip(request) -> str:
    """The client's address as rate limits and lockouts count it: IPv6 grouped by its /64.

    Behind a reverse proxy every request comes from the proxy's address; without this, one
    patient's rate limit would be everyone's, and five wrong passwords typed by anyone would lock
    a staff member out from every address.
    """
    address = _client_address(request)
    if address is None:
        return UNKNOWN_ADDRESS
    if address.version == 6:
        network = ipaddress.ip_network(f"{address}/{IPV6_GROUP_PREFIX}", strict=False)
        return str(network.network_address)
    return str(address)


class ForwardedHeadersMiddleware:
    """The outermost middleware: forwarded headers count only from TRUSTED_PROXIES."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        remote = request.META.get("REMOTE_ADDR", "")
        if not _is_trusted_remote(remote, tuple(settings.TRUSTED_PROXIES)):
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)
