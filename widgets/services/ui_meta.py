"""What the dashboard's scripts need to know of the server's enums, as one JSON blob in the page.

Units, source badges and chart kinds are owned here (``sql_gen.models.Unit``, ``widgets.models.DataOrigin``,
``widgets.services.spec.ChartKind``); the front end reads them from ``<script id="ui-meta">`` instead of
keeping copies that drift. Only how each looks is decided in this module: the ``Intl.NumberFormat`` options
of a unit, the tone of a badge, the palette.
"""
from __future__ import annotations

from typing import Any, get_args

from django.urls import reverse

from sql_gen.models import Unit
from widgets.models import DataOrigin
from widgets.services.spec import ChartKind

# Options for ``new Intl.NumberFormat(locale, options)``. Percent metrics are fractions (a loss ratio of
# 0.62), which Intl's percent style shows as 62 %.
_UNIT_INTL: dict[Unit, dict[str, Any]] = {
    Unit.COUNT: {"maximumFractionDigits": 0},
    Unit.CURRENCY: {"style": "currency", "currency": "USD"},
    Unit.DAYS: {"style": "unit", "unit": "day", "unitDisplay": "long", "maximumFractionDigits": 1},
    Unit.PERCENT: {"style": "percent", "maximumFractionDigits": 1},
}

_BADGE_TONES: dict[DataOrigin, str] = {
    DataOrigin.LIVE: "ok",
    DataOrigin.CACHED: "info",
    DataOrigin.SAMPLE: "warn",
    DataOrigin.LLM_UNAVAILABLE: "error",
    DataOrigin.SQL_REJECTED: "error",
    DataOrigin.QUERY_FAILED: "error",
    DataOrigin.OUT_OF_DATE: "warn",
}

# Okabe & Ito's palette, told apart under the common colour-vision deficiencies; yellow and black last
# (yellow is faint on white, black reads as text).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]


def ui_meta() -> dict[str, Any]:
    """Return the page's UI metadata: ``units``, ``badges``, ``palette``, ``chart_kinds`` and ``catalog_url``.

    Raises:
        KeyError: a unit or origin was added to its enum without its look here (a test catches it).
    """
    return {
        "units": {unit.value: {"label": unit.label, "intl": dict(_UNIT_INTL[unit])} for unit in Unit},
        "badges": {origin.value: {"label": origin.label, "tone": _BADGE_TONES[origin]} for origin in DataOrigin},
        "palette": list(PALETTE),
        "chart_kinds": {kind: _kind_label(kind) for kind in get_args(ChartKind)},
        "catalog_url": reverse("catalog"),
    }


def _kind_label(kind: str) -> str:
    words = kind.replace("_", " ")
    return words[:1].upper() + words[1:]
