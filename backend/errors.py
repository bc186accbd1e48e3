"""Errors a user may see, each with a stable code from one enum, and the DRF handler that renders them."""
from __future__ import annotations

from enum import StrEnum
from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ErrorCode(StrEnum):
    """Every code an error may carry. Clients and tests rely on these strings: never rename one."""

    # Requests and pages
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    NOT_AUTHENTICATED = "not_authenticated"
    INVALID_INPUT = "invalid_input"
    INVALID_NAME = "invalid_name"
    EMPTY_PROMPT = "empty_prompt"
    PROMPT_TOO_LONG = "prompt_too_long"
    INVALID_ROUTE = "invalid_route"
    INVALID_ANSWER = "invalid_answer"
    NOT_WAITING = "not_waiting"
    NOT_FAILED = "not_failed"
    NO_DATA_SOURCE = "no_data_source"
    INVALID_LAYOUT = "invalid_layout"
    INVALID_WINDOW = "invalid_window"
    # The pipeline's steps
    INVALID_INTENT = "invalid_intent"
    NOT_IN_DATA = "not_in_data"  # the request names something the dictionary does not have
    INVALID_SPEC = "invalid_spec"
    TSX_REJECTED = "tsx_rejected"
    TSX_UNAVAILABLE = "tsx_unavailable"
    RESULT_SHAPE_MISMATCH = "result_shape_mismatch"
    SQL_REJECTED = "sql_rejected"
    QUERY_FAILED = "query_failed"
    DEADLINE = "deadline"  # the request's whole budget ran out
    TIME_LIMIT = "time_limit"  # the job system stopped a step
    INTERRUPTED = "interrupted"
    WORKER_LOST = "worker_lost"  # a step's worker died too often
    INTERNAL_ERROR = "internal_error"
    # The LLM gateway
    LLM_ERROR = "llm_error"
    LLM_UNAVAILABLE = "llm_unavailable"
    LLM_TIMEOUT = "llm_timeout"
    LLM_THROTTLED = "llm_throttled"
    LLM_ACCESS_DENIED = "llm_access_denied"
    LLM_MODEL_NOT_FOUND = "llm_model_not_found"
    LLM_MODEL_NOT_READY = "llm_model_not_ready"
    LLM_QUOTA_EXCEEDED = "llm_quota_exceeded"
    LLM_BAD_REQUEST = "llm_bad_request"
    LLM_BAD_RESPONSE = "llm_bad_response"
    LLM_BAD_OUTPUT = "llm_bad_output"
    LLM_MISCONFIGURED = "llm_misconfigured"
    LLM_DEADLINE = "llm_deadline"
    LLM_CIRCUIT_OPEN = "llm_circuit_open"
    LLM_TRUNCATED = "llm_truncated"
    LLM_REFUSED = "llm_refused"
    LLM_CONTEXT_OVERFLOW = "llm_context_overflow"
    BUDGET_EXCEEDED = "budget_exceeded"
    BUDGET_DEGRADED = "budget_degraded"


class ApplicationError(Exception):
    """An error whose code and message are safe to show to the person who caused it.

    ``code`` is an ``ErrorCode`` (a plain string to JSON and the database); ``extra`` carries
    structured detail. A code outside the enum is a programming error and raises ValueError.
    """

    http_status = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: ErrorCode | str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = ErrorCode(code)
        self.message = message
        self.extra = extra or {}

    def __str__(self) -> str:
        return self.message


class NotFound(ApplicationError):
    http_status = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__(ErrorCode.NOT_FOUND, message)


class Forbidden(ApplicationError):
    """The user is known but may not do this (not: may not see this, which is NotFound)."""

    http_status = status.HTTP_403_FORBIDDEN

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.FORBIDDEN, message)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render ApplicationError as ``{code, message, extra}``; DRF's own errors keep their shape
    but gain a ``code`` and ``message`` so every error body looks alike."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"code": exc.code.value, "message": exc.message, "extra": exc.extra}, status=exc.http_status
        )
    response = exception_handler(exc, context)
    if response is not None:
        detail = response.data
        code = getattr(exc, "default_code", "error")
        message = detail.get("detail") if isinstance(detail, dict) and "detail" in detail else "Invalid input."
        response.data = {"code": str(code), "message": str(message), "extra": detail}
    return response
