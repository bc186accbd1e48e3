from __future__ import annotations

from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "backend.jobs"
    label = "jobs"
    verbose_name = "Jobs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Declare every app's actors in every process (web too): the outbox sends messages by actor name.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("tasks")
