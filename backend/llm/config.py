"""Where the gateway reads its environment: at call time, never at import."""
from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

OFFLINE = "offline"
LIVE = "live"


# Environment variables any of which means AWS credentials are configured (keys, a profile,
# web identity, or an ECS/EKS container role).
_AWS_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")
_CONFIG_CREDENTIAL_KEYS = ("aws_access_key_id", "role_arn", "sso_", "credential_process", "credential_source")


def has_live_credentials() -> bool:
    """Return True when AWS or Anthropic credentials are configured.

    Looks at the environment and at the shared AWS files (``~/.aws/credentials`` and
    ``~/.aws/config``, or where ``AWS_SHARED_CREDENTIALS_FILE``/``AWS_CONFIG_FILE`` point).
    An EC2 instance role cannot be seen without a network call: set ``BUILDER_MODE=live`` there.
    """
    if os.environ.get("ANTHROPIC_API_KEY") or any(os.environ.get(v) for v in _AWS_VARIABLES):
        return True
    credentials = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()
    if credentials.is_file():
        return True
    # A config file may hold only a region; it counts when it says how to get credentials.
    config = Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
    return config.is_file() and any(key in config.read_text(errors="replace") for key in _CONFIG_CREDENTIAL_KEYS)


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
