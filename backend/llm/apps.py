from __future__ import annotations

from django.apps import AppConfig


class LLMConfig(AppConfig):
    name = "backend.llm"
    label = "llm"
    verbose_name = "LLM gateway"
    default_auto_field = "django.db.models.BigAutoField"
