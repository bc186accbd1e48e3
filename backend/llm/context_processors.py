from __future__ import annotations

from django.http import HttpRequest

from backend.llm import config


def builder_mode(request: HttpRequest) -> dict[str, object]:
    """Expose the LLM mode to templates, for the offline banner."""
    mode = config.builder_mode()
    return {"builder_mode": mode, "builder_offline": mode == config.OFFLINE}
