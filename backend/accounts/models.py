"""Personal API tokens, kept as digests."""
from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A personal token a script sends as ``Authorization: Bearer <key>``.

    Only the key's SHA-256 digest is stored: the key is shown once, when it is made, and cannot be read
    back (a random 256-bit key needs no salt or slow hash). ``prefix`` (its first characters) lets a
    person tell their tokens apart. A revoked token is kept, so the profile page can say when.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. “nightly export script”.")
    prefix = models.CharField(max_length=16, help_text="The key's first characters, to recognise it.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the key, hex.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
