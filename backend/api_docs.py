"""The OpenAPI schema (/api/schema/) and its docs page (/api/docs/, Swagger UI from drf-spectacular-sidecar)."""
from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.utils.decorators import method_decorator
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

# What Swagger UI needs beyond the site's policy, on its page only: it sets style attributes on the
# elements it draws. Its scripts are our static files and the page's own script URL ('self').
DOCS_CSP_UPDATE: dict[str, Any] = {"style-src": ["'unsafe-inline'"]}


class SchemaApi(SpectacularAPIView):
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []  # the schema is the same for everyone


@method_decorator(csp_update(DOCS_CSP_UPDATE), name="get")
class DocsPage(SpectacularSwaggerSplitView):
    """Swagger UI's split view: the page loads its start-up script from this URL (``?script``), not inline."""

    permission_classes = [AllowAny]
    template_name = "api/docs.html"
    url_name = "api-schema"
