"""Labels that several rows share: group by the row's key, show the label.

A dictionary column with a ``key_column`` (the adjuster's name, keyed by ``adjuster_id``) is a label, not
an identity: 120 adjusters have 109 names, so grouping by the name alone adds two people together. The
SQL step groups by the key as well, returned as a hidden column named after the label's column with
KEY_SUFFIX (``adjuster`` and ``adjuster__key``). ``fold_keys`` then takes the hidden columns out of a
result, so that its columns are what the widget expects (period, the spec's dimensions, the metrics),
and tells apart the rows whose label is shared: "Priya Jones (#53)". Labels nobody shares stay as they are,
so that the common case reads cleanly; a shared one is marked in every result, whether or not both
people are among its rows, so a comparison window and a refresh name each person the same way.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any

KEY_SUFFIX = "__key"


def key_alias(label_column: str) -> str:
    """Return the name of the hidden key column of the result column ``label_column``."""
    return f"{label_column}{KEY_SUFFIX}"


def is_key_column(name: str) -> bool:
    """Tell whether a result column is a hidden key (never a metric or a dimension of the widget)."""
    return name.endswith(KEY_SUFFIX)


def fold_keys(result: dict[str, Any], *, shared: Collection[str] = ()) -> dict[str, Any]:
    """Return ``result`` without its hidden key columns, each label shared by rows of different keys (in
    these rows, or in ``shared``: labels the dictionary knows several rows have) written with its key."""
    columns = list(result.get("columns") or [])
    keys = {i: columns.index(columns[i][: -len(KEY_SUFFIX)]) for i, c in enumerate(columns)
            if is_key_column(c) and c[: -len(KEY_SUFFIX)] in columns}
    dropped = [i for i, c in enumerate(columns) if is_key_column(c)]
    if not dropped:
        return result
    rows = [list(r) for r in result.get("rows") or []]
    for key_at, label_at in keys.items():
        seen: dict[Any, set[Any]] = {}
        for row in rows:
            seen.setdefault(row[label_at], set()).add(row[key_at])
        for row in rows:
            label = row[label_at]
            if label is not None and row[key_at] is not None and (len(seen[label]) > 1 or str(label) in shared):
                row[label_at] = f"{label} (#{row[key_at]})"
    keep = [i for i in range(len(columns)) if i not in dropped]
    return {**result, "columns": [columns[i] for i in keep], "rows": [[r[i] for i in keep] for r in rows]}
