"""Checks on a request's body before any view (or CSRF check) reads it."""
from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse

from backend.error_views import is_api, json_error
from backend.errors import ApplicationError, ErrorCode
from backend.parsers import charset_error, json_charset_ok, json_too_deep, too_deep_error

_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


class RequestBodyGuard:
    """Refuse, with a clear 4xx, a body the API or a page should never read:

    - under /api/, one larger than ``API_MAX_BODY_BYTES`` (413 ``body_too_large``);
    - anywhere, a JSON body declared in a charset other than UTF-8 (415 ``unsupported_media_type``);
    - anywhere, a JSON body nested past ``API_MAX_JSON_DEPTH`` (400 ``json_too_deep``): Django's CSRF
      check and DRF's parsers would otherwise recurse into it;
    - anywhere, a body past Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in _WITH_BODY:
            refused = self._refusal(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        limit = settings.API_MAX_BODY_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return json_error(ErrorCode.PARSE_ERROR, "The Content-Length header is not a number.", 400)
        if is_api(request) and length > limit:
            return _too_large(limit)
        if "json" not in (request.content_type or ""):
            return None
        charset = request.content_params.get("charset")
        if not json_charset_ok(charset):
            # JSON is UTF-8 (RFC 8259); the depth scan reads UTF-8 bytes, which UTF-16 would slip past.
            return _refusal(charset_error(charset))
        try:
            body = request.body
        except RequestDataTooBig:
            return _too_large(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if is_api(request) and len(body) > limit:  # sent without a Content-Length (chunked)
            return _too_large(limit)
        if json_too_deep(body, limit=settings.API_MAX_JSON_DEPTH):
            return _refusal(too_deep_error())
        return None


def _refusal(error: ApplicationError) -> HttpResponse:
    """The parser's own error for the same body, answered before any view."""
    return json_error(error.code, error.message, error.http_status, error.extra)


def _too_large(limit: int) -> HttpResponse:
    return json_error(ErrorCode.BODY_TOO_LARGE, f"The request body is larger than {limit} bytes.", 413,
                      {"max_bytes": limit})
