"""Errors a user may see, each with a stable code, and the DRF handler that renders them."""
from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """An error whose code and message are safe to show to the person who caused it.

    ``code`` is a stable string (``sql_rejected``, ``llm_unavailable``, ...) that
    clients and tests may rely on; ``extra`` carries structured detail.
    """

    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra or {}


class NotFound(ApplicationError):
    http_status = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__("not_found", message)


class Forbidden(ApplicationError):
    """The user is known but may not do this (not: may not see this, which is NotFound)."""

    http_status = status.HTTP_403_FORBIDDEN

    def __init__(self, message: str) -> None:
        super().__init__("forbidden", message)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render ApplicationError as ``{code, message, extra}``; DRF's own errors keep their shape
    but gain a ``code`` and ``message`` so every error body looks alike."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"code": exc.code, "message": exc.message, "extra": exc.extra}, status=exc.http_status
        )
    response = exception_handler(exc, context)
    if response is not None:
        detail = response.data
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail") if isinstance(detail, dict) and "detail" in detail else "Invalid input."
        response.data = {"code": str(code), "message": str(message), "extra": detail}
    return response
