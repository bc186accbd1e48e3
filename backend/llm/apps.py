from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class LLMConfig(AppConfig):
    name = "backend.llm"
    label = "llm"
    verbose_name = "LLM gateway"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from backend.llm.triggers import reinstall_after_migrate

        post_migrate.connect(reinstall_after_migrate, sender=self, dispatch_uid="llm-config-version-triggers")
