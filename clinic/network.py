"""Who is asking: the client's address, for rate limits and sign-in lockouts alike."""

from django.conf import settings


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the hop our trusted proxies saw.

    Behind a reverse proxy every request comes from the proxy's address; without this, one
    patient's rate limit would be everyone's, and five wrong passwords typed by anyone would lock
    a staff member out from every address.
    """
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"
