"""The catalog page: the metrics and dimensions of the dictionary, and a way to start a widget from each."""
from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from sql_gen.models import DictionaryColumn, DimensionValue, MetricDefinition
from widgets.models import Dashboard

pytestmark = pytest.mark.django_db


def _page(user: Any, path: str = "/catalog/") -> str:
    client = Client()
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_an_anonymous_visitor_is_sent_to_log_in() -> None:
    response = Client().get("/catalog/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_lists_every_metric_of_the_catalog_with_its_definition_and_unit(analyst, dashboard, demo_source) -> None:
    MetricDefinition.objects.filter(key="claim_count").update(name="Claims filed (renamed)")
    page = _page(analyst)
    listed = re.findall(r'data-testid="catalog-metric" data-key="([^"]+)"', page)
    assert sorted(listed) == sorted(MetricDefinition.objects.filter(source=demo_source).values_list("key", flat=True))
    assert "Claims filed (renamed)" in page
    paid = MetricDefinition.objects.get(key="total_paid")
    assert html.escape(paid.description) in page and "Currency (USD)" in page and "closed date" in page


def test_dimensions_show_their_values_by_label_with_their_synonyms(analyst, dashboard, demo_source) -> None:
    status = DictionaryColumn.objects.get(table__source=demo_source, table__name="claims", name="status")
    DimensionValue.objects.filter(column=status, value="denied").update(label="Refused")
    page = _page(analyst)
    assert 'data-value="under_review">Under review' in page
    assert 'data-value="denied">Refused' in page
    assert "declined" in page  # a value synonym of denied


def test_build_with_this_links_to_the_most_recent_own_dashboard_with_the_prompt(analyst, dashboard,
                                                                               demo_source) -> None:
    newer = Dashboard.objects.create(owner=analyst, name="Newer")
    links = re.findall(r'data-testid="build-with"\s+href="([^"]+)"', _page(analyst))
    assert links
    url = urlsplit(html.unescape(links[0]))
    assert url.path == f"/dashboards/{newer.id}/"
    assert "by month" in parse_qs(url.query)["prompt"][0]
    chosen = re.findall(r'data-testid="build-with"\s+href="([^"]+)"', _page(analyst, f"/catalog/?dashboard={dashboard.id}"))
    assert urlsplit(html.unescape(chosen[0])).path == f"/dashboards/{dashboard.id}/"


def test_a_user_without_a_dashboard_is_told_to_make_one_and_sees_no_build_links(other_analyst, demo_source) -> None:
    page = _page(other_analyst)
    assert 'data-testid="catalog-no-dashboard"' in page and 'data-testid="build-with"' not in page


def test_an_analyst_sees_no_sql_and_no_admin_links(analyst, dashboard, demo_source) -> None:
    page = _page(analyst)
    assert "/admin/" not in page
    assert "SUM(" not in page and "status = 'closed'" not in page


def test_a_prefilled_prompt_is_escaped_in_the_prompt_box(analyst, dashboard) -> None:
    page = _page(analyst, f"/dashboards/{dashboard.id}/?prompt=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "<script>alert(1)" not in page
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</textarea>" in page


def test_the_dashboard_and_the_dashboard_list_link_to_the_catalog(analyst, dashboard) -> None:
    assert f'href="/catalog/?dashboard={dashboard.id}"' in _page(analyst, f"/dashboards/{dashboard.id}/")
    assert 'href="/catalog/"' in _page(analyst, "/")


def test_from_a_dashboard_the_catalog_builds_on_that_dashboard_and_says_so(analyst, dashboard, demo_source) -> None:
    Dashboard.objects.create(owner=analyst, name="Newer")
    board_page = _page(analyst, f"/dashboards/{dashboard.id}/")
    catalog_url = html.unescape(re.findall(r'href="([^"]+)" data-testid="catalog-link"', board_page)[0])
    page = _page(analyst, catalog_url)
    links = re.findall(r'data-testid="build-with"\s+href="([^"]+)"', page)
    assert links and all(urlsplit(html.unescape(link)).path == f"/dashboards/{dashboard.id}/" for link in links)
    assert re.search(r'data-testid="catalog-chosen".*?>Claims</a>', page, re.S)


def test_a_shared_dashboard_of_someone_else_does_not_pass_itself_to_the_catalog(analyst, other_analyst,
                                                                                    demo_source) -> None:
    shared = Dashboard.objects.create(owner=other_analyst, name="Shared", is_private=False)
    assert f"dashboard={shared.id}" not in _page(analyst, f"/dashboards/{shared.id}/")
    own = Dashboard.objects.create(owner=analyst, name="Mine")
    page = _page(analyst, f"/catalog/?dashboard={shared.id}")
    assert f"/dashboards/{shared.id}/?prompt" not in page and f"/dashboards/{own.id}/?prompt" in page
