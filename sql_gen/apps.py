from __future__ import annotations

from django.apps import AppConfig


class SqlGenConfig(AppConfig):
    name = "sql_gen"
    verbose_name = "Data: sources, dictionary, metrics"
    default_auto_field = "django.db.models.BigAutoField"
