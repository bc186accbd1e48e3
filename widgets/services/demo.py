"""Demo users and dashboard for a first run."""
from __future__ import annotations

import json
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from widgets.models import Dashboard

DEMO_USERS = {"analyst": False, "admin": True}  # username: is_staff


def _logins_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-logins.json"


def demo_users_seed() -> dict[str, str]:
    """Create the demo analyst and admin if missing; return username → password.

    Passwords are random on first creation and kept in ``var/demo-logins.json``
    (mode 0600) so that later runs can print them again without changing them.
    """
    path = _logins_file()
    logins: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    User = get_user_model()
    for username, staff in DEMO_USERS.items():
        user = User.objects.filter(username=username).first()
        if user is not None and username in logins:
            continue
        password = secrets.token_urlsafe(9)
        if user is None:
            user = User(username=username, is_staff=staff, is_superuser=staff, email=f"{username}@example.com")
        user.set_password(password)
        user.save()
        logins[username] = password
    path.write_text(json.dumps(logins, indent=2))
    path.chmod(0o600)
    return logins


def demo_dashboard_seed() -> Dashboard:
    """Return the analyst's demo dashboard, creating it if missing."""
    analyst = get_user_model().objects.get(username="analyst")
    dashboard, _ = Dashboard.objects.get_or_create(owner=analyst, name="Claims overview")
    return dashboard
