"""Forwarded headers count only from the configured proxies; IPv6 clients count by their /64."""

import urllib.error
import urllib.request

import pytest
from django.test import RequestFactory

from clinic.network import client_ip
from tests.support.processes import gunicorn_server

pytestmark = pytest.mark.django_db


def address_of(remote, forwarded_for=None):
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_without_a_configured_proxy_x_forwarded_for_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert address_of("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_x_forwarded_for_counts_only_when_the_request_came_from_a_configured_proxy(
    settings,
):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    # A client that talks to the site directly cannot name another address.
    assert address_of("203.0.113.9", "198.51.100.1") == "203.0.113.9"
    # Through the proxy, the address the proxy saw; what the client wrote before it is ignored.
    assert address_of("10.0.0.5", "192.0.2.44, 198.51.100.1") == "198.51.100.1"


def test_a_chain_of_configured_proxies_is_walked_back_to_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "127.0.0.1"]
    assert (
        address_of("127.0.0.1", "127.0.0.1, 198.51.100.1, 10.0.0.7") == "198.51.100.1"
    )


@pytest.mark.parametrize(
    "forwarded_for",
    ["", "not-an-address", "198.51.100.1, \x00", "1.2.3.4.5", ",,,", "x" * 5000],
)
def test_a_garbled_x_forwarded_for_falls_back_to_the_proxy_never_an_error(
    settings, forwarded_for
):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert address_of("10.0.0.5", forwarded_for) == "10.0.0.5"


def test_ipv6_clients_are_counted_by_their_64_bit_network(settings):
    settings.TRUSTED_PROXIES = []
    home = {address_of(f"2001:db8:1:2::{n:x}") for n in range(1, 50)}
    neighbour = address_of("2001:db8:1:3::1")
    assert (home, neighbour) == ({"2001:db8:1:2::"}, "2001:db8:1:3::")
    # An IPv4 client reached over an IPv6 socket is the IPv4 client.
    assert address_of("::ffff:198.51.100.1") == "198.51.100.1"


def test_a_forged_x_forwarded_proto_does_not_make_plain_http_count_as_https(
    client, practice, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.TRUSTED_PROXIES = []
    forged = client.get("/visit/", headers={"x-forwarded-proto": "https"})
    assert (forged.status_code, forged["Location"]) == (
        301,
        "https://testserver/visit/",
    )

    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    from_our_proxy = client.get("/visit/", headers={"x-forwarded-proto": "https"})
    assert from_our_proxy.status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("trusted_proxies", "expected_status"), [("", 301), ("127.0.0.1", 200)]
)
def test_under_gunicorn_x_forwarded_proto_counts_only_from_trusted_proxies(
    practice, tmp_path, trusted_proxies, expected_status
):
    """The shipped gunicorn.conf.py and settings agree on whom to believe."""
    with gunicorn_server(
        tmp_path / "gunicorn.log",
        SECURE_HTTPS="true",
        TRUSTED_PROXIES=trusted_proxies,
    ) as server:
        opener = urllib.request.build_opener(NoRedirects)
        request = urllib.request.Request(
            server + "/visit/", headers={"X-Forwarded-Proto": "https"}
        )
        try:
            status = opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            status = error.code
    assert status == expected_status


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
