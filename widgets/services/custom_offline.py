"""Offline TSX codegen: a custom widget's spec (and its ``visual``) → one function component.

It picks a shape from the spec as a designer would: a heatmap when one is asked for and the rows have
two axes (a dimension by period, or two dimensions), ranked horizontal bars when there is a
dimension, a column chart or sparkline over the periods when there is only a grain, and a
big-number tile (a progress bar for a percentage asked to look like a gauge) when there is
neither. A visual asked for that the rows cannot take (a heatmap of one axis) is named in the
explanation with what was drawn instead. The source type-checks in strict mode against the
generated ``Props``.
"""
from __future__ import annotations

import json
import re
from typing import Any

from backend.llm.api import OfflineQuery
from widgets.services.windows import TimeWindow, describe

_SPARK = re.compile(r"\b(line|sparkline|trend|trendline)\b")
_GAUGE = re.compile(r"\b(gauge|progress|meter|dial)\b")
_TOP_N = re.compile(r"\btop (\d{1,3})\b")
_HEAT = re.compile(r"\b(heat ?map|heat map|matrix|grid of)\b")

_COMMON = """const MUTED = "#6b7280";
const ACCENT = "#2563eb";
const FRAME: React.CSSProperties = { fontFamily: "system-ui, sans-serif", padding: 12, color: "#111827" };
const HEADING: React.CSSProperties = { fontWeight: 600, fontSize: 14, marginBottom: 8 };

function formatValue(value: number | null, unit: Props["metric"]["unit"]): string {
  if (value === null) return "–";
  if (unit === "percent") return (value * 100).toFixed(1) + "%";
  if (unit === "days") return value.toFixed(1) + " days";
  const size = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  const money = unit === "currency" ? "$" : "";
  if (size >= 1e9) return sign + money + (size / 1e9).toFixed(1) + "B";
  if (size >= 1e6) return sign + money + (size / 1e6).toFixed(1) + "M";
  if (size >= 1e4) return sign + money + (size / 1e3).toFixed(1) + "K";
  return sign + money + (unit === "currency" ? size.toFixed(0) : String(Math.round(size * 100) / 100));
}

function Empty(props: { title: string }) {
  return (
    <div style={FRAME}>
      <div style={HEADING}>{props.title}</div>
      <div style={{ color: MUTED }}>No data for this window.</div>
    </div>
  );
}
"""

_LEADERBOARD = """const LIMIT = __LIMIT__;

function rowLabel(row: Row): string {
  const parts: (string | null)[] = [__PARTS__];
  return parts.map((part) => part ?? "(none)").join(" · ");
}

function Widget(props: Props) {
  const { metric } = props;
  const latest = props.rows.reduce((last: string, row: Row) => (__PERIOD__ > last ? __PERIOD__ : last), "");
  const shown = props.rows
    .filter((row) => __PERIOD__ === latest)
    .sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity))
    .slice(0, LIMIT);
  if (shown.length === 0) return <Empty title={props.title} />;
  const largest = Math.max(...shown.map((row) => Math.abs(row.value ?? 0))) || 1;
  const heading = props.dimensions.filter((d) => d.key !== "period").map((d) => d.label).join(" · ");
  return (
    <div style={FRAME}>
      <div style={HEADING}>{props.title}</div>
      <div style={{ display: "flex", fontSize: 12, color: MUTED, marginBottom: 4 }}>
        <span style={{ flex: 1 }}>{heading}{latest ? " · " + latest.slice(0, 10) : ""}</span>
        <span>{metric.name}</span>
      </div>
      {shown.map((row, i) => (
        <div key={i} style={{ display: "flex", alignItems: "center", gap: 8, margin: "4px 0", fontSize: 13 }}>
          <span style={{ width: 20, textAlign: "right", color: MUTED }}>{i + 1}</span>
          <span style={{ width: "32%", overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
            {rowLabel(row)}
          </span>
          <div style={{ flex: 1, background: "#eef2f7", height: 14, borderRadius: 3 }}>
            <div style={{ width: (Math.max(0, row.value ?? 0) / largest) * 100 + "%", height: "100%",
                          background: ACCENT, borderRadius: 3 }} />
          </div>
          <span style={{ minWidth: 72, textAlign: "right", fontVariantNumeric: "tabular-nums" }}>
            {formatValue(row.value, metric.unit)}
          </span>
        </div>
      ))}
      {props.truncated || props.rows.length > shown.length
        ? <div style={{ fontSize: 12, color: MUTED, marginTop: 6 }}>Top {shown.length} shown.</div>
        : null}
    </div>
  );
}
"""

_HEATMAP = """const ACROSS_LIMIT = 36;
const DOWN_LIMIT = 24;

function axis(value: string | null): string {
  return value ?? "(none)";
}

function shade(value: number | null, high: number): string {
  if (value === null) return "#f3f4f6";
  return "rgba(37, 99, 235, " + (0.1 + 0.9 * (Math.abs(value) / high)).toFixed(2) + ")";
}

function Widget(props: Props) {
  const { metric } = props;
  const across: string[] = [];
  const totals = new Map<string, number>();
  const cells = new Map<string, number | null>();
  for (const row of props.rows) {
    const x = __ACROSS__;
    const y = axis(row[__DOWN__]);
    if (across.indexOf(x) < 0) across.push(x);
    totals.set(y, (totals.get(y) ?? 0) + Math.abs(row.value ?? 0));
    cells.set(y + "|" + x, row.value);
  }
  if (totals.size === 0) return <Empty title={props.title} />;
  across.sort();
  const down = Array.from(totals.keys()).sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0));
  const shownAcross = across.slice(-ACROSS_LIMIT);
  const shownDown = down.slice(0, DOWN_LIMIT);
  let high = 0;
  cells.forEach((v) => { if (v !== null && Math.abs(v) > high) high = Math.abs(v); });
  high = high || 1;
  const grid: React.ReactNode[] = [<span key="corner" />];
  for (const x of shownAcross) {
    grid.push(<span key={"head " + x} style={{ color: MUTED, overflow: "hidden", whiteSpace: "nowrap",
                                                  textOverflow: "ellipsis" }}>{x}</span>);
  }
  for (const y of shownDown) {
    grid.push(<span key={"row " + y} style={{ overflow: "hidden", whiteSpace: "nowrap", textOverflow: "ellipsis",
                                               paddingRight: 4 }}>{y}</span>);
    for (const x of shownAcross) {
      const v = cells.get(y + "|" + x) ?? null;
      grid.push(<div key={y + "|" + x} title={y + ", " + x + ": " + formatValue(v, metric.unit)}
                     style={{ background: shade(v, high), minHeight: 16, borderRadius: 2 }} />);
    }
  }
  const cut = props.truncated || across.length > shownAcross.length || down.length > shownDown.length;
  return (
    <div style={FRAME}>
      <div style={HEADING}>{props.title}</div>
      <div style={{ display: "grid", gap: 2, fontSize: 11,
                    gridTemplateColumns: "minmax(56px, max-content) repeat(" + shownAcross.length + ", minmax(10px, 1fr))" }}>
        {grid}
      </div>
      <div style={{ display: "flex", alignItems: "center", gap: 6, fontSize: 11, color: MUTED, marginTop: 6 }}>
        <span>{metric.name}: 0</span>
        <div style={{ width: 80, height: 8, borderRadius: 2,
                      background: "linear-gradient(to right, rgba(37, 99, 235, 0.1), rgba(37, 99, 235, 1))" }} />
        <span>{formatValue(high, metric.unit)}</span>
        {cut ? <span>· not every row is shown</span> : null}
      </div>
    </div>
  );
}
"""

_SERIES = """const WIDTH = 320;
const HEIGHT = 90;

function Widget(props: Props) {
  const { metric } = props;
  const points: { period: string; value: number }[] = [];
  for (const row of props.rows) {
    if (row.value !== null) points.push({ period: row.period, value: row.value });
  }
  const last = points[points.length - 1];
  if (last === undefined) return <Empty title={props.title} />;
  const high = Math.max(0, ...points.map((p) => p.value));
  const low = Math.min(0, ...points.map((p) => p.value));
  const span = high - low || 1;
  const step = WIDTH / points.length;
  const y = (v: number): number => HEIGHT - 3 - ((v - low) / span) * (HEIGHT - 6);  // room for the stroke
  return (
    <div style={FRAME}>
      <div style={HEADING}>{props.title}</div>
      <div style={{ fontSize: 28, fontWeight: 700 }}>{formatValue(last.value, metric.unit)}</div>
      <div style={{ fontSize: 12, color: MUTED, marginBottom: 6 }}>
        {metric.name}, latest __GRAIN__ ({last.period.slice(0, 10)})
      </div>
      <svg viewBox={"0 0 " + WIDTH + " " + HEIGHT} width="100%" height={HEIGHT} preserveAspectRatio="none">
        __MARKS__
      </svg>
      <div style={{ display: "flex", justifyContent: "space-between", fontSize: 11, color: MUTED }}>
        <span>{points[0]?.period.slice(0, 10)}</span>
        <span>{last.period.slice(0, 10)}</span>
      </div>
    </div>
  );
}
"""

_COLUMNS = """{points.map((p, i) => (
          <rect key={p.period} x={i * step + 1} y={Math.min(y(p.value), y(0))} width={Math.max(1, step - 2)}
                height={Math.max(1, Math.abs(y(p.value) - y(0)))} fill={ACCENT}>
            <title>{p.period.slice(0, 10) + ": " + formatValue(p.value, metric.unit)}</title>
          </rect>
        ))}"""

_SPARKLINE = """<polyline fill="none" stroke={ACCENT} strokeWidth={2}
                  points={points.map((p, i) => i * step + step / 2 + "," + y(p.value)).join(" ")} />"""

_TILE = """function Widget(props: Props) {
  const { metric } = props;
  const first = props.rows[0];
  if (first === undefined) return <Empty title={props.title} />;
  __BODY__
}
"""

_BIG_NUMBER = """return (
    <div style={{ ...FRAME, textAlign: "center" }}>
      <div style={HEADING}>{props.title}</div>
      <div style={{ fontSize: 40, fontWeight: 700, color: ACCENT }}>{formatValue(first.value, metric.unit)}</div>
      <div style={{ fontSize: 12, color: MUTED }}>{__CAPTION__}</div>
    </div>
  );"""

_PROGRESS = """const share = Math.min(1, Math.max(0, first.value ?? 0));
  return (
    <div style={FRAME}>
      <div style={HEADING}>{props.title}</div>
      <div style={{ fontSize: 32, fontWeight: 700 }}>{formatValue(first.value, metric.unit)}</div>
      <div style={{ background: "#eef2f7", height: 16, borderRadius: 8, margin: "8px 0" }}>
        <div style={{ width: share * 100 + "%", height: "100%", background: ACCENT, borderRadius: 8 }} />
      </div>
      <div style={{ fontSize: 12, color: MUTED }}>{__CAPTION__}</div>
    </div>
  );"""


def answer(query: OfflineQuery) -> dict[str, Any]:
    """Return a ``record_tsx`` payload, ``{tsx, explanation}``, for the prompt's spec."""
    prompt = query.prompt
    spec = prompt["spec"]
    wish = " ".join([str(spec.get("visual") or ""), str(prompt.get("request") or "")]).lower()
    dims = spec.get("dimensions") or []
    heat = bool(_HEAT.search(wish))
    if heat and dims and (spec.get("grain") or len(dims) > 1):
        body, what = _heatmap(spec)
    elif dims:
        body, what = _leaderboard(spec, wish)
    elif spec.get("grain"):
        body, what = _series(spec, wish)
    else:
        body, what = _tile(spec, wish)
    explanation = f"{what} of {spec['metric']['name']}."
    if heat and not body.startswith(_HEATMAP[:20]):
        explanation += " Not drawn as a heatmap: it needs two axes (a dimension by period, or two dimensions)."
    return {"tsx": _COMMON + "\n" + body, "explanation": explanation}


def _heatmap(spec: dict[str, Any]) -> tuple[str, str]:
    dims, grain = spec["dimensions"], spec.get("grain")
    width = {"year": 4, "quarter": 7, "month": 7}.get(grain or "", 10)
    across = f"row.period.slice(0, {width})" if grain else f"axis(row[{json.dumps(dims[1])}])"
    body = _HEATMAP.replace("__ACROSS__", across).replace("__DOWN__", json.dumps(dims[0]))
    return body, f"A heatmap by {'period' if grain else 'the second dimension'}"


def _leaderboard(spec: dict[str, Any], wish: str) -> tuple[str, str]:
    top = _TOP_N.search(wish)
    limit = int(top.group(1)) if top else min(int((spec.get("ranking") or {}).get("n") or 10), 10)
    parts = ", ".join(f"row[{json.dumps(key)}]" for key in spec["dimensions"])
    period = "row.period" if spec.get("grain") else '""'
    body = (_LEADERBOARD.replace("__LIMIT__", str(max(1, limit))).replace("__PARTS__", parts)
            .replace("__PERIOD__", period))
    return body, "Ranked horizontal bars" + (" for the latest period" if spec.get("grain") else "")


def _series(spec: dict[str, Any], wish: str) -> tuple[str, str]:
    spark = bool(_SPARK.search(wish))
    body = _SERIES.replace("__GRAIN__", str(spec["grain"])).replace("__MARKS__", _SPARKLINE if spark else _COLUMNS)
    return body, f"A {'sparkline' if spark else 'column chart'} per {spec['grain']} with the latest value"


def _tile(spec: dict[str, Any], wish: str) -> tuple[str, str]:
    window = TimeWindow.model_validate(spec.get("time_window") or {"kind": "all"})
    caption = f"{spec['metric']['name']}, {describe(window)}"
    gauge = bool(_GAUGE.search(wish)) and spec["metric"]["unit"] == "percent"
    body = (_PROGRESS if gauge else _BIG_NUMBER).replace("__CAPTION__", json.dumps(caption))
    return _TILE.replace("__BODY__", body), "A progress bar" if gauge else "A big-number tile"
