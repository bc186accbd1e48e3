"""Pagination for list endpoints: ``{count, next, previous, results}``, ``?page=`` and ``?page_size=``.

``paginated`` answers one page of a queryset, each row rendered by the caller; ``page_of`` names that shape
for the schema, so that every list endpoint documents the same envelope around its own rows.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
