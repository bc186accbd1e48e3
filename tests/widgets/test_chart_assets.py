"""The chart library is served from node_modules as one static file, pinned in package.json."""
from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import service_missing

ECHARTS = "vendor/echarts/echarts.esm.min.js"


def test_echarts_is_pinned_exactly() -> None:
    package = json.loads((Path(settings.BASE_DIR) / "package.json").read_text())
    lock = json.loads((Path(settings.BASE_DIR) / "package-lock.json").read_text())
    assert package["dependencies"]["echarts"] == lock["packages"]["node_modules/echarts"]["version"]
    assert package["dependencies"]["echarts"].split(".")[0] == "5"


def test_only_the_esm_build_of_echarts_is_served(client: Client) -> None:
    if not finders.find(ECHARTS):
        service_missing("node_modules/echarts is missing: run `make setup` (npm ci)")
    response = client.get(f"/static/{ECHARTS}")
    assert response.status_code == 200
    assert b"export" in b"".join(response.streaming_content)[-2000:]  # an ES module, not a UMD build
    for other in ("vendor/echarts/echarts.js", "vendor/echarts/echarts.esm.js.map", "vendor/echarts/package.json"):
        assert not finders.find(other), other
    listed = [path for finder in finders.get_finders() for path, _ in finder.list([]) if "echarts" in path]
    assert listed == ["echarts.esm.min.js"]


def test_the_chart_module_imports_echarts_by_its_served_path() -> None:
    charts = (Path(settings.BASE_DIR) / "static/widgets/charts.js").read_text()
    assert f'from "../{ECHARTS}"' in charts
