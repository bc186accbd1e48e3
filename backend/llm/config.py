"""Where the gateway reads its environment: at call time, never at import."""
from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

OFFLINE = "offline"
LIVE = "live"


def has_live_credentials() -> bool:
    """Return True when AWS or Anthropic credentials are configured in the environment."""
    aws = any(os.environ.get(v) for v in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE"))
    return aws or bool(os.environ.get("ANTHROPIC_API_KEY"))


def builder_mode() -> str:
    """Return ``offline`` or ``live``.

    ``BUILDER_MODE`` decides when set; otherwise the mode is live only when
    credentials are configured, so a first run needs none.

    Raises:
        ImproperlyConfigured: BUILDER_MODE holds something else.
    """
    raw = os.environ.get("BUILDER_MODE", "").strip().lower()
    if raw in (OFFLINE, LIVE):
        return raw
    if raw:
        raise ImproperlyConfigured(f"BUILDER_MODE={raw!r} must be 'offline' or 'live'")
    return LIVE if has_live_credentials() else OFFLINE
