"""The chart module (static/widgets/charts.js, ECharts on canvas) in a real browser, under the pages' policy.
Text from the data is never read as ECharts markup, a ranked pie says what its shares are of, and a chart of
many categories draws the largest and says so.

Each chart kind is drawn by importing the module into a page served with the real CSP (the login page,
which needs no data) and calling ``drawChart`` with a widget built here, so the test holds whoever draws
the dashboard. What was drawn is read back from the container's data attributes and from the canvas's
pixels, never from the mere presence of a ``<canvas>``. One browser serves the whole module.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone

from tests.conftest import service_missing
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.browser]

PALETTE = ["#2563eb", "#f97316", "#16a34a", "#db2777", "#7c3aed", "#0891b2"]
META = {
    "locale": "en-US",
    "units": {
        "count": {"label": "Count", "intl": {"maximumFractionDigits": 0}},
        "currency": {"label": "USD", "intl": {"style": "currency", "currency": "USD", "maximumFractionDigits": 0}},
        "days": {"label": "Days", "intl": {"style": "unit", "unit": "day", "unitDisplay": "long",
                                           "maximumFractionDigits": 1}},
        "percent": {"label": "Percent", "intl": {"style": "percent", "minimumFractionDigits": 1,
                                                 "maximumFractionDigits": 1}},
    },
    "palette": PALETTE,
    "chart_kinds": {"line": "Line chart", "pie": "Pie chart"},
}
COUNT = {"key": "claim_count", "name": "Claim count", "unit": "count"}
PAID = {"key": "total_paid", "name": "Total paid", "unit": "currency"}
DAYS = {"key": "days_to_settle", "name": "Days to settle", "unit": "days"}

# Collects what the policy refused, before any page script runs.
CSP_COLLECTOR = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.violatedDirective} ${e.blockedURI} ${e.sample || ""}`.trim()));
"""

# Imports the module, draws `widget` in a fresh box at the top of the page and reports what is there.
DRAW = """
async ({widget, meta}) => {
  const charts = await import("/static/widgets/charts.js");
  for (const old of document.querySelectorAll(".chart-under-test")) { charts.disposeChart(old); old.remove(); }
  const box = document.createElement("div");
  box.className = "chart-under-test";
  document.body.prepend(box);
  const out = await charts.drawChart(box, widget, meta);
  const canvas = box.querySelector("canvas");
  const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
  const hex = meta.palette[0];
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let painted = 0, first = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] > 0) painted++;
    if (data[i + 3] > 200 && Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24) first++;
  }
  const option = out.chart.getOption();
  const category = [...(option.xAxis || []), ...(option.yAxis || [])].find((a) => a.type === "category");
  return {
    kind: box.dataset.chartKind, series: box.dataset.drawnSeries, points: box.dataset.drawnPoints,
    drawn: box.dataset.drawn, role: box.getAttribute("role"), label: box.getAttribute("aria-label"),
    notes: out.notes, painted, first, categories: category ? category.data : (option.series[0].data || []).map((d) => d.name),
    renderer: out.chart.getZr().painter.type, tooltip: option.tooltip[0].renderMode,
  };
}
"""


def months(start: date, n: int) -> list[str]:
    out, y, m = [], start.year, start.month
    for _ in range(n):
        out.append(date(y, m, 1).isoformat())
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def widget(chart_type: str, metrics: list[dict[str, Any]], columns: list[str], rows: list[list[Any]], *,
           grain: str | None = None, dimensions: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    result = {"columns": columns, "rows": rows, "truncated": False, "partial_last": False,
              "window": None, "today": "2026-03-04"} | extra.pop("result", {})
    spec = {"kind": "chart", "title": f"A {chart_type} chart", "chart_type": chart_type, "grain": grain,
            "metric": metrics[0], "extra_metrics": metrics[1:], "dimensions": dimensions or [],
            "filters": [], "time_window": {"kind": "all"}} | extra.pop("spec", {})
    return {"title": spec["title"], "spec": spec, "result": result} | extra


MONTHS = months(date(2025, 1, 1), 15)  # Jan 2025 to Mar 2026: spans years, the last month is partial
WEEKS = [(date(2025, 12, 8) + timedelta(weeks=i)).isoformat() for i in range(6)]
REGIONS = {"MW": "Midwest", "NE": "Northeast", "SO": "South", "WE": "West"}
CAUSES = ["water_damage", "theft", "fire", "hail", "collision"]

CASES: dict[str, tuple[dict[str, Any], str, str]] = {
    "line with comparison and partial month": (widget(
        "line", [COUNT], ["period", "claim_count"], [[p, 100 + i * 7] for i, p in enumerate(MONTHS)], grain="month",
        spec={"compare": {"kind": "previous_year"}},
        result={"partial_last": True, "window": {"start": "2025-01-01", "end": "2026-04-01"},
                "compare": {"columns": ["period", "claim_count"],
                            "rows": [[p.replace("2025", "2024").replace("2026", "2025"), 90 + i * 5]
                                     for i, p in enumerate(MONTHS)]}}),
        "line,line", "15,15"),
    "area split by channel": (widget(
        "area", [COUNT], ["period", "channel", "claim_count"],
        [[w, c, 10 + i + j] for i, w in enumerate(WEEKS) for j, c in enumerate(["agent", "online"])],
        grain="week", dimensions=["channel"]), "line,line", "6,6"),
    "stacked area of three products": (widget(
        "stacked_area", [PAID], ["period", "product", "total_paid"],
        [[p, prod, 1_000_000 + i * 50_000 * (j + 1)] for i, p in enumerate(MONTHS[:6])
         for j, prod in enumerate(["auto", "home", "travel"])], grain="month", dimensions=["product"]),
        "line,line,line", "6,6,6"),
    "bar with value labels": (widget(
        "bar", [COUNT], ["region", "claim_count"], [[code, 4000 + i * 300] for i, code in enumerate(REGIONS)],
        dimensions=["region"], value_labels={"region": REGIONS}), "bar", "4"),
    "horizontal bar of causes": (widget(
        "horizontal_bar", [PAID], ["cause_of_loss", "total_paid"],
        [[c, 2_500_000 - i * 400_000] for i, c in enumerate(CAUSES)], dimensions=["cause"]), "bar", "5"),
    "stacked bar of region by channel": (widget(
        "stacked_bar", [COUNT], ["region", "channel", "claim_count"],
        [[r, c, 100 + i * 10 + j] for i, r in enumerate(REGIONS) for j, c in enumerate(["agent", "online", "phone"])],
        dimensions=["region", "channel"], value_labels={"region": REGIONS}), "bar,bar,bar", "4,4,4"),
    "pie of 25 adjusters grouped": (widget(
        "pie", [COUNT | {"additive": True}], ["adjuster", "claim_count"],
        [[f"adj_{i:02d}", 500 - i * 10] for i in range(25)], dimensions=["adjuster"]), "pie", "20"),
    "donut of channels": (widget(
        "donut", [PAID], ["channel", "total_paid"], [["agent", 3_000_000], ["online", 2_000_000], ["phone", 900_000]],
        dimensions=["channel"]), "pie", "3"),
    "scatter of two metrics": (widget(
        "scatter", [PAID, DAYS], ["adjuster", "total_paid", "days_to_settle"],
        [[f"adj_{i}", 100_000 + i * 25_000, 12 + (i * 7) % 20] for i in range(8)], dimensions=["adjuster"]),
        "scatter", "8"),
    "bar of three metrics on two axes": (widget(
        "bar", [COUNT, PAID, DAYS], ["region", "claim_count", "total_paid", "days_to_settle"],
        [[code, 4000 + i, 1_000_000 * (i + 1), 20 + i] for i, code in enumerate(REGIONS)], dimensions=["region"],
        value_labels={"region": REGIONS}), "bar,bar,bar", "4,4,4"),
}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One Chromium for the module (a second Playwright in this thread would clash with it)."""
    if not CHROMIUM.exists():
        service_missing(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    if not finders.find("vendor/echarts/echarts.esm.min.js"):
        service_missing("node_modules/echarts is missing: run `make setup` (npm ci)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in this thread; see conftest
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def new_page(browser: Any, **options: Any) -> Any:
    """Return a page in a fresh context (en-US, UTC, reduced motion) that collects CSP violations."""
    context = browser.new_context(locale="en-US", timezone_id="UTC", reduced_motion="reduce", **options)
    context.set_default_timeout(10_000)
    context.add_init_script(CSP_COLLECTOR)
    return context.new_page()


@pytest.fixture(scope="module")
def chart_page(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A page served with the app's policy and no data of its own: the login page."""
    page = new_page(chromium, viewport={"width": 900, "height": 700})
    page.goto(f"{live_server.url}/accounts/login/")
    yield page
    page.context.close()


@pytest.mark.parametrize(("name"), list(CASES))
def test_each_chart_kind_draws_its_data_on_canvas(
    chart_page: Any, screenshot: Callable[[Any, str], Path], name: str
) -> None:
    data, series, points = CASES[name]
    drawn = chart_page.evaluate(DRAW, {"widget": data, "meta": META})
    screenshot(chart_page, "chart")
    assert (drawn["drawn"], drawn["series"], drawn["points"]) == ("true", series, points)
    assert drawn["kind"] == data["spec"]["chart_type"]
    assert (drawn["renderer"], drawn["tooltip"]) == ("canvas", "richText")
    assert drawn["painted"] > 2000, "the canvas is blank"
    assert drawn["first"] > 150, "nothing is drawn in the first series' colour"
    assert drawn["role"] == "img" and drawn["label"].startswith(data["title"])
    assert chart_page.evaluate("window.__cspViolations") == []


def test_a_series_over_two_years_shows_the_year_and_marks_its_partial_month(chart_page: Any) -> None:
    data = CASES["line with comparison and partial month"][0]
    drawn = chart_page.evaluate(DRAW, {"widget": data, "meta": META})
    assert drawn["categories"][:2] == ["Jan 2025", "Feb 2025"] and drawn["categories"][-1] == "Mar 2026"
    assert drawn["notes"] == ["Mar 2026 is not over yet: its figure is partial."]
    assert "compared with the same period last year" in drawn["label"]


def test_dimension_values_are_shown_by_label_and_too_many_slices_are_grouped(chart_page: Any) -> None:
    bar = chart_page.evaluate(DRAW, {"widget": CASES["bar with value labels"][0], "meta": META})
    assert bar["categories"] == ["Midwest", "Northeast", "South", "West"]
    causes = chart_page.evaluate(DRAW, {"widget": CASES["horizontal bar of causes"][0], "meta": META})
    assert causes["categories"][0] == "Water damage"
    pie = chart_page.evaluate(DRAW, {"widget": CASES["pie of 25 adjusters grouped"][0], "meta": META})
    assert pie["categories"][-1] == "All others (6, added up here)" and len(pie["categories"]) == 20


def test_a_rankings_all_others_is_its_last_bar_and_slice_in_grey(chart_page: Any) -> None:
    ranked = {"ranking": {"direction": "top", "n": 3, "others": True}, "labels": {"cause": "cause"}}
    others = {"others": {"columns": ["claim_count"], "rows": [[61]], "groups": 9}}
    rows = [[c, 40 - i] for i, c in enumerate(CAUSES[:3])]
    for kind, points in (("horizontal_bar", "4"), ("pie", "4")):
        data = widget(kind, [COUNT], ["cause", "claim_count"], rows, dimensions=["cause"], spec=ranked, result=others)
        drawn = chart_page.evaluate(DRAW, {"widget": data, "meta": META})
        assert drawn["categories"][-1] == "All others (9 causes)" and drawn["points"] == points
        grey = chart_page.evaluate("""() => {
          const box = document.querySelector(".chart-under-test");
          const canvas = box.querySelector("canvas");
          const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          let n = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] > 200 && data[i] === 0xc3 && data[i + 1] === 0xca && data[i + 2] === 0xd4) n++;
          }
          return n;
        }""")
        assert grey > 100, f"the {kind}'s 'all others' is not drawn in its grey"


def test_the_tooltip_opens_on_a_tap_without_breaking_the_policy(chart_page: Any) -> None:
    chart_page.evaluate(DRAW, {"widget": CASES["bar with value labels"][0], "meta": META})
    box = chart_page.locator(".chart-under-test").bounding_box()
    assert box
    chart_page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.6)  # Northeast's band
    chart_page.wait_for_timeout(200)
    # A rich-text tooltip is text drawn on the canvas: look for it among what zrender paints.
    tip = chart_page.evaluate("""async () => {
      const echarts = await import("/static/vendor/echarts/echarts.esm.min.js");
      const zr = echarts.getInstanceByDom(document.querySelector(".chart-under-test")).getZr();
      const texts = [];
      zr.storage.traverse((el) => { if (el.style && typeof el.style.text === "string") texts.push(el.style.text); });
      return texts.filter((t) => t.includes("Claim count:"));
    }""")
    assert tip == ["Northeast\nClaim count: 4,300"]
    assert chart_page.evaluate("window.__cspViolations") == []


def test_the_violation_collector_sees_a_refused_inline_style(chart_page: Any) -> None:
    refused = chart_page.evaluate("""() => new Promise((resolve) => {
      const seen = window.__cspViolations.length;
      const probe = document.createElement("div");
      probe.setAttribute("style", "color: red");
      document.body.append(probe);
      setTimeout(() => { probe.remove(); resolve(window.__cspViolations.splice(seen)); }, 100);
    })""")
    assert refused == ["style-src-attr inline"]


def test_a_sparkline_marks_its_partial_point(chart_page: Any) -> None:
    drawn = chart_page.evaluate("""async (meta) => {
      const charts = await import("/static/widgets/charts.js");
      const box = document.createElement("div");
      document.body.prepend(box);
      await charts.drawSparkline(box, [["2026-01-01", 3], ["2026-02-01", 5], ["2026-03-01", 1]], meta,
                                 {unit: "count", partial: true});
      const out = [box.dataset.chartKind, box.dataset.drawnSeries, box.dataset.drawnPoints, box.getAttribute("aria-label")];
      charts.disposeChart(box);
      return out.concat([box.dataset.drawn || "disposed"]);
    }""", META)
    assert drawn == ["sparkline", "line", "3", "Trend of 3 points, ending at 1 (partial) from 2026-01-01", "disposed"]


@pytest.mark.django_db(transaction=True)
def test_a_dashboard_of_every_chart_kind_reports_no_policy_violation(
    chromium: Any, live_server: Any, django_user_model: Any, screenshot: Callable[[Any, str], Path]
) -> None:
    from playwright.sync_api import expect

    from widgets.models import Dashboard, RequestStatus, Widget, WidgetRequest

    user = django_user_model.objects.create_user(username="cora", password="pw-charts-123456")
    board = Dashboard.objects.create(owner=user, name="Every chart")
    for data, _, _ in CASES.values():
        spec = data["spec"]
        request = WidgetRequest.objects.create(dashboard=board, user=user, prompt=spec["title"],
                                               status=RequestStatus.READY)
        Widget.objects.create(dashboard=board, request=request, kind="chart", title=spec["title"], spec=spec,
                              sql="SELECT 1", result=data["result"], source="live", cost_usd=Decimal("0.001"),
                              llm_calls=1, result_at=timezone.now())
    page = new_page(chromium, viewport={"width": 1366, "height": 768})
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("cora")
    page.get_by_label("Password").fill("pw-charts-123456")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/dashboards/{board.id}/")
    expect(page.get_by_test_id("widget-grid")).to_have_attribute("aria-busy", "false")
    # Whoever draws the dashboard's charts, ECharts draws one here too, with the page's own #ui-meta.
    meta = page.evaluate("() => JSON.parse(document.getElementById('ui-meta')?.textContent || 'null')") or META
    drawn = page.evaluate(DRAW, {"widget": CASES["stacked area of three products"][0], "meta": meta})
    assert (drawn["series"], drawn["points"]) == ("line,line,line", "6,6,6") and drawn["first"] > 150
    page.mouse.move(300, 150)
    page.wait_for_timeout(300)
    screenshot(page, "dashboard")
    violations = page.evaluate("window.__cspViolations")
    page.context.close()
    assert violations == []
    assert messages == []


# Every text zrender paints on the chart's canvas, without the zero-width spaces that make markup inert.
PAINTED = """async () => {
  const echarts = await import("/static/vendor/echarts/echarts.esm.min.js");
  const zr = echarts.getInstanceByDom(document.querySelector(".chart-under-test")).getZr();
  const texts = [];
  zr.storage.traverse((el) => { if (el.style && typeof el.style.text === "string") texts.push(el.style.text); });
  return texts.map((t) => t.replaceAll("\\u200b", ""));
}"""
TRICKY = "NE {a|RICH} {b} \nWest: 9,999"


def tap(page: Any, x: float, y: float) -> None:
    box = page.locator(".chart-under-test").bounding_box()
    assert box
    page.mouse.click(box["x"] + box["width"] * x, box["y"] + box["height"] * y)
    page.wait_for_timeout(250)


def test_rich_text_markup_and_newlines_in_labels_are_shown_as_text(chart_page: Any) -> None:
    data = widget("bar", [COUNT], ["region", "claim_count"], [["NE", 4300], ["SO", 4000]], dimensions=["region"],
                  value_labels={"region": {"NE": TRICKY, "SO": "South"}})
    chart_page.evaluate(DRAW, {"widget": data, "meta": META})
    tap(chart_page, 0.3, 0.6)  # the first band
    tips = [t for t in chart_page.evaluate(PAINTED) if "\nClaim count:" in t]
    # One line for the label (braces and all, its newline a space), one for the figure: no line of its own
    # credits a figure to "West".
    assert tips == ["NE {a|RICH} {b}  West: 9,999\nClaim count: 4,300"]
    assert chart_page.evaluate("window.__cspViolations") == []


def test_a_ranked_pie_says_its_shares_are_of_the_top_n(chart_page: Any) -> None:
    data = widget("pie", [COUNT], ["region", "claim_count"], [["south", 50], ["west", 30], ["east", 20]],
                  dimensions=["region"], spec={"ranking": {"direction": "top", "n": 3}})
    drawn = chart_page.evaluate(DRAW, {"widget": data, "meta": META})
    assert "Percentages are shares of the top 3, not of all Claim count: the rest is not in the result." in drawn["notes"]
    tap(chart_page, 0.6, 0.35)
    tips = [t for t in chart_page.evaluate(PAINTED) if "\nClaim count:" in t]
    assert len(tips) == 1 and tips[0].endswith("of the top 3)")
    with_totals = widget("pie", [COUNT], ["region", "claim_count"], [["south", 50], ["west", 30], ["east", 20]],
                         dimensions=["region"], spec={"ranking": {"direction": "top", "n": 3}},
                         result={"totals": {"columns": ["claim_count"], "rows": [[400]]}})
    drawn = chart_page.evaluate(DRAW, {"widget": with_totals, "meta": META})
    assert drawn["notes"] == []
    tap(chart_page, 0.6, 0.35)
    tips = [t for t in chart_page.evaluate(PAINTED) if "\nClaim count:" in t]
    assert len(tips) == 1 and "% of all)" in tips[0]


@pytest.mark.parametrize("kind", ["bar", "horizontal_bar"])
def test_a_chart_of_109_categories_draws_the_largest_30_and_says_so(chart_page: Any, kind: str) -> None:
    rows = [[f"Category number {i} with a rather long name", 1000 + i] for i in range(109)]
    data = widget(kind, [COUNT], ["category", "claim_count"], rows, dimensions=["category"])
    drawn = chart_page.evaluate(DRAW, {"widget": data, "meta": META})
    assert drawn["points"] == "30"
    assert "The 30 largest of 109 categories by Claim count are drawn; all 109 are in the table." in drawn["notes"]
    assert all(len(label) <= 24 for label in drawn["categories"])
    assert drawn["categories"][0] == "Category number 79 with…"
