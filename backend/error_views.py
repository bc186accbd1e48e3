"""Django's own error pages, as ``{code, message, extra}`` JSON for the API's paths.

DRF renders the errors its views raise (``backend.errors.api_exception_handler``); these answer what
never reaches a DRF view or escapes one: an unknown /api/ URL, a body Django refused, a CSRF failure
outside DRF, and an unhandled exception. Other paths keep Django's HTML pages.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from backend.errors import ErrorCode, error_body

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def json_error(code: ErrorCode, message: str, status: int, extra: dict[str, Any] | None = None) -> JsonResponse:
    return JsonResponse(error_body(code, message, extra), status=status)


def bad_request(request: HttpRequest, exception: Exception, template_name: str = "400.html") -> HttpResponse:
    if is_api(request):
        return json_error(ErrorCode.PARSE_ERROR, "The request could not be read.", 400)
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request: HttpRequest, exception: Exception, template_name: str = "403.html") -> HttpResponse:
    if is_api(request):
        return json_error(ErrorCode.FORBIDDEN, "You may not do this.", 403)
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request: HttpRequest, exception: Exception, template_name: str = "404.html") -> HttpResponse:
    if is_api(request):
        return json_error(ErrorCode.NOT_FOUND, "There is no such API endpoint.", 404, {"path": request.path[:200]})
    return defaults.page_not_found(request, exception, template_name)


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    if is_api(request):
        return json_error(ErrorCode.INTERNAL_ERROR, "Something went wrong on our side; the error has been logged.",
                          500)
    return defaults.server_error(request, template_name)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: JSON under /api/, Django's page elsewhere."""
    if is_api(request):
        return json_error(ErrorCode.FORBIDDEN, f"CSRF check failed: {reason}", 403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason)
