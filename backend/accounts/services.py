"""Making and revoking personal API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from backend.accounts.models import ApiToken
from backend.errors import ApplicationError, ErrorCode, NotFound
from backend.text import text_problem

KEY_PREFIX = "wb_"
MAX_ACTIVE_TOKENS = 20
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: AbstractBaseUser, name: str) -> tuple[ApiToken, str]:
    """Make a token for ``user``; return it and its key, which is not stored and cannot be shown again.

    Raises:
        ApplicationError: ``invalid_name`` for an empty, too long or control-character name, or when the
            user already has ``MAX_ACTIVE_TOKENS`` tokens in use.
    """
    name = name.strip()
    if not name or len(name) > 80 or text_problem(name):
        raise ApplicationError(ErrorCode.INVALID_NAME, "Give the token a name of 1 to 80 plain characters.")
    if ApiToken.objects.filter(user=user, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ApplicationError(ErrorCode.INVALID_NAME, f"You have {MAX_ACTIVE_TOKENS} tokens in use; revoke one first.")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=key[:10], digest=key_digest(key))
    return token, key


def api_token_revoke(*, user: AbstractBaseUser, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (a token revoked already stays as it was) and return it.

    Raises:
        NotFound: no such token of this user.
    """
    token = ApiToken.objects.filter(id=token_id, user=user).first()
    if token is None:
        raise NotFound("No such token.")
    ApiToken.objects.filter(id=token.id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


def api_token_user(*, key: str) -> tuple[AbstractBaseUser, ApiToken] | None:
    """Return the active user and the live token a key belongs to, or None; notes when it was used."""
    token = (ApiToken.objects.select_related("user")
             .filter(digest=key_digest(key), revoked_at__isnull=True).first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        ApiToken.objects.filter(id=token.id).update(last_used_at=now)
    return token.user, token
