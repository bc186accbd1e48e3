"""The client's IP address, read correctly behind a known number of proxies."""
from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent ``request``.

    With ``TRUSTED_PROXY_COUNT = n`` proxies in front of the app, each appending the address it got the
    request from to ``X-Forwarded-For``, the client is the n-th address from the right: anything left
    of it was written by the client and may be forged. With n = 0 (the default) the header is ignored
    and the client is ``REMOTE_ADDR``. A header shorter than n, or an entry that is not an address,
    falls back to the left-most address the proxies vouch for, then ``REMOTE_ADDR``.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    candidate = forwarded[-count] if len(forwarded) >= count else forwarded[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
