"""DRF authentication by personal API token (``Authorization: Bearer <key>``)."""
from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from backend.accounts.services import api_token_user

SCHEME = "Bearer"


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Listed first, so that a call with no credentials gets 401 with ``WWW-Authenticate: Bearer``
    (SessionAuthentication alone answers 403). A request without an Authorization header falls through
    to the session, as the dashboard page sends it."""

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != SCHEME.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as “Authorization: Bearer <token>”.")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is not valid.") from exc
        found = api_token_user(key=key)
        if found is None:
            raise exceptions.AuthenticationFailed("The token is not valid, or was revoked.")
        return found

    def authenticate_header(self, request: Request) -> str:
        return f'{SCHEME} realm="api"'
