"""Errors a user may see, each with a stable code from one enum, and the DRF handler that renders them."""
from __future__ import annotations

import math
from enum import StrEnum
from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response


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
    NOT_CANCELLABLE = "not_cancellable"  # the request is finished already
    NOT_DELETED = "not_deleted"  # restoring what is not deleted
    # The API's HTTP layer (backend.errors.api_exception_handler, backend.middleware)
    INVALID = "invalid"  # a field failed validation; extra.fields holds each field's messages
    INVALID_TEXT = "invalid_text"  # NUL, a control character or a lone surrogate in text
    PARSE_ERROR = "parse_error"
    JSON_TOO_DEEP = "json_too_deep"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    NOT_ACCEPTABLE = "not_acceptable"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    AUTHENTICATION_FAILED = "authentication_failed"
    THROTTLED = "throttled"
    # Widgets: versions and direct edits
    NOTHING_TO_UNDO = "nothing_to_undo"
    KIND_NEEDS_REFINE = "kind_needs_refine"  # the kind asked for needs other rows: a refinement, not an edit
    INVALID_KIND = "invalid_kind"
    INVALID_TITLE = "invalid_title"
    NOT_REFINABLE = "not_refinable"
    # The pipeline's steps
    INVALID_INTENT = "invalid_intent"
    NOT_IN_DATA = "not_in_data"  # the request names something the dictionary does not have
    INVALID_SPEC = "invalid_spec"
    TSX_REJECTED = "tsx_rejected"
    TSX_UNAVAILABLE = "tsx_unavailable"
    RESULT_SHAPE_MISMATCH = "result_shape_mismatch"
    SQL_REJECTED = "sql_rejected"
    QUERY_FAILED = "query_failed"
    OUT_OF_DATE = "out_of_date"  # a stored widget no longer means what the dictionary says
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


class Conflict(ApplicationError):
    """The object is not in a state for this (``not_deleted``, ``nothing_to_undo``, ``not_refinable``): 409."""

    http_status = status.HTTP_409_CONFLICT


class Throttled(ApplicationError):
    """Too many calls of one kind; ``wait_s`` is how long until the next is allowed (``Retry-After``)."""

    http_status = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, wait_s: int) -> None:
        super().__init__(ErrorCode.THROTTLED, f"Too many requests; try again in {wait_s} s.", {"retry_after_s": wait_s})
        self.wait_s = wait_s


# DRF's own exceptions, by class, as our codes (a subclass maps like its base).
_DRF_CODES: tuple[tuple[type[exceptions.APIException], ErrorCode], ...] = (
    (exceptions.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, ErrorCode.AUTHENTICATION_FAILED),
    (exceptions.PermissionDenied, ErrorCode.FORBIDDEN),
    (exceptions.NotFound, ErrorCode.NOT_FOUND),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, ErrorCode.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, ErrorCode.THROTTLED),
    (exceptions.ParseError, ErrorCode.PARSE_ERROR),
    (exceptions.ValidationError, ErrorCode.INVALID),
)


def error_body(code: ErrorCode | str, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the one shape every API error has."""
    return {"code": str(code), "message": message, "extra": extra or {}}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Render ApplicationError and DRF's own errors as ``{code, message, extra}``; None (a 500, rendered
    by ``backend.urls.server_error``) for anything else.

    A validation error's message names its first field's first problem and ``extra.fields`` holds them
    all; a throttled call's ``extra.retry_after_s`` repeats its ``Retry-After`` header."""
    if isinstance(exc, ApplicationError):
        response = Response(error_body(exc.code, exc.message, exc.extra), status=exc.http_status)
        if isinstance(exc, Throttled):
            response["Retry-After"] = str(exc.wait_s)
        return response
    # Imported here: rest_framework.views reads the parser setting, whose parser imports this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)  # sets WWW-Authenticate and Retry-After
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    code = next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), ErrorCode.INVALID)
    if isinstance(exc, exceptions.ValidationError):
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(code, _first_problem(fields), {"fields": fields})
        return response
    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        extra["retry_after_s"] = math.ceil(exc.wait)
    response.data = error_body(code, str(exc.detail), extra)
    return response


def _first_problem(fields: Any, path: str = "") -> str:
    """Return "field: message" for the first message in a nest of DRF error details."""
    if isinstance(fields, dict):
        for name, detail in fields.items():
            label = "" if name == "non_field_errors" else (f"{path}.{name}" if path else str(name))
            return _first_problem(detail, label)
    if isinstance(fields, list) and fields:
        return _first_problem(fields[0], path)
    return f"{path}: {fields}" if path else str(fields or "Invalid input.")
