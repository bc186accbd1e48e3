"""A dashboard's layout: the order of its widgets and the room each takes (width in columns, height S/M/L)."""
from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from backend.errors import ApplicationError, ErrorCode
from widgets.models import Dashboard, Widget, WidgetHeight
from widgets.services.dashboards import require_owner

MAX_WIDTH = 3
WIDE_KINDS = frozenset({"chart", "custom"})


def widget_layout(widget: Widget) -> dict[str, Any]:
    """Return the widget's place on its dashboard: ``{position, width, height}``. A widget never placed has
    position None (it follows the placed ones) and, until given one, the width its kind reads best at:
    two columns for charts, custom widgets and tables of more than three columns, else one."""
    return {"position": widget.position, "width": widget.width or default_width(widget), "height": widget.height}


def default_width(widget: Widget) -> int:
    result = widget.result if isinstance(widget.result, dict) else {}
    columns = result.get("columns") if isinstance(result.get("columns"), list) else []
    return 2 if widget.kind in WIDE_KINDS or len(columns) > 3 else 1


def dashboard_layout_set(*, user: AbstractBaseUser, dashboard: Dashboard, widgets: Any,
                         shown: list[Widget]) -> list[Widget]:
    """Save the layout of ``widgets`` (``[{id, position, width, height}]``, some or all of the dashboard's
    ``shown`` widgets) and return every shown widget in its new order.

    The entries given are placed in the order of their positions; widgets not listed keep their order after
    them. Positions are then stored as 0, 1, 2 … so the order never has ties or gaps. Saving the same layout
    twice changes nothing: there is no version to check, the last layout saved wins.

    Raises:
        Forbidden: the user does not own the dashboard.
        ApplicationError: ``invalid_layout`` for an entry that names no widget shown on this dashboard, names
            one twice, or has a width outside 1–3, a height other than S, M or L or a negative position.
    """
    require_owner(user=user, dashboard=dashboard, doing="change its layout")
    entries = _clean(widgets, known={w.id for w in shown})
    listed = sorted(entries, key=lambda e: (e["position"], e["index"]))
    given = {e["id"]: e for e in entries}
    order = [e["id"] for e in listed] + [w.id for w in shown if w.id not in given]
    by_id = {w.id: w for w in shown}
    with transaction.atomic():
        for position, widget_id in enumerate(order):
            widget = by_id[widget_id]
            entry = given.get(widget_id)
            widget.position = position
            if entry is not None:
                widget.width, widget.height = entry["width"], entry["height"]
            Widget.objects.filter(id=widget_id, dashboard=dashboard).update(
                position=widget.position, width=widget.width, height=widget.height)
    return [by_id[i] for i in order]


def _clean(widgets: Any, *, known: set[int]) -> list[dict[str, Any]]:
    def bad(message: str) -> ApplicationError:
        return ApplicationError(ErrorCode.INVALID_LAYOUT, message)

    if not isinstance(widgets, list) or not widgets:
        raise bad("Send the layout as widgets: a list of {id, position, width, height}.")
    if len(widgets) > max(len(known), 1):
        raise bad("The layout lists more widgets than the dashboard has.")
    heights = set(WidgetHeight.values)
    cleaned, seen = [], set()
    for index, entry in enumerate(widgets):
        if not isinstance(entry, dict):
            raise bad(f"Entry {index + 1} is not an object.")
        widget_id, position, width, height = (entry.get(k) for k in ("id", "position", "width", "height"))
        if not _is_int(widget_id) or widget_id not in known:
            raise bad(f"Entry {index + 1} names no widget of this dashboard.")
        if widget_id in seen:
            raise bad(f"Widget {widget_id} is listed twice.")
        if not _is_int(position) or not 0 <= position <= 100_000:
            raise bad(f"Widget {widget_id}: the position is a whole number from 0.")
        if not _is_int(width) or not 1 <= width <= MAX_WIDTH:
            raise bad(f"Widget {widget_id}: the width is 1 to {MAX_WIDTH} columns.")
        if not isinstance(height, str) or height not in heights:
            raise bad(f"Widget {widget_id}: the height is S, M or L.")
        seen.add(widget_id)
        cleaned.append({"id": widget_id, "position": position, "width": width, "height": height, "index": index})
    return cleaned


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
