from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class SqlGenConfig(AppConfig):
    name = "sql_gen"
    verbose_name = "Data: sources, dictionary, metrics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sql_gen.triggers import CATALOG

        post_migrate.connect(CATALOG.reinstall_after_migrate, sender=self, dispatch_uid="sql-gen-catalog-version")
