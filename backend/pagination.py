"""Pagination for list endpoints: ``{count, next, previous, results}``, ``?page=`` and ``?page_size=``.

``paginated`` answers one page of a queryset, each row rendered by the caller; ``page_of`` names that shape
for the schema, so that every list endpoint documents the same envelope around its own rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


def _whole(text: str) -> bool:
    # ASCII digits only: int() would take "١" (an Arabic-Indic one) and " 2".
    return text.isascii() and text.isdigit() and len(text) < 12


class Pagination(PageNumberPagination):
    """DRF's page numbers, with a malformed ``page`` or ``page_size`` a 400 naming it (DRF answers 404
    "Invalid page." for ``?page=abc`` and ignores ``?page_size=abc`` or ``0``); a page past the last is
    still 404, saying which."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_page_message = "There is no page {page_number}: {message}."

    def get_page_number(self, request: Request, paginator: Any) -> Any:
        raw = request.query_params.get(self.page_query_param) or ""
        if raw and raw not in self.last_page_strings and not (_whole(raw) and int(raw) >= 1):
            raise ValidationError({self.page_query_param: ["A page number: a whole number from 1, or “last”."]})
        return super().get_page_number(request, paginator)

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param) or ""
        if not raw:
            return self.page_size
        if not (_whole(raw) and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {self.max_page_size}."]})
        return int(raw)


def paginated(request: Request, view: APIView, rows: QuerySet[Any],
              render: Callable[[Iterable[Any]], list[dict[str, Any]]]) -> Response:
    """Return the page the query asks for (a 404 ``not_found`` past the last one), its rows through ``render``."""
    paginator = Pagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(render(page or []))


def page_of(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    """Return the schema of one page of ``item`` rows, named ``name``."""
    return type(name, (serializers.Serializer,), {
        "count": serializers.IntegerField(help_text="How many rows in all pages."),
        "next": serializers.URLField(allow_null=True, help_text="The next page, or null on the last."),
        "previous": serializers.URLField(allow_null=True, help_text="The page before, or null on the first."),
        "results": item(many=True),
        "__module__": item.__module__,
    })
