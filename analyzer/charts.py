"""Charts for the HTML report: Vega-Lite specs rendered to static SVG on the server (vl-convert).

The SVG is inlined in the page: no script, no CDN, nothing fetched (vl-convert runs its own
bundled Vega and measures text with local fonts; it needs no network). Labels are data, so they
are escaped by the SVG writer; `safe_svg` checks the result carries nothing active before it is
marked safe for the template. The same specs give PNG for mail clients (`chart_png`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

from markupsafe import Markup

FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
WIDTH = 1040  # the chart area of a 1280 px page (the SVG scales down with its container)
PALETTE = ["#2f6fdf", "#e08a2c", "#3a9d5d", "#c0392b", "#8e5cc4", "#7f6a4d", "#d66fb0", "#7a8793",
           "#b5b82a", "#2bb1c4", "#9ab8e8"]
ACTIVE_TAGS = {"script", "foreignObject", "iframe", "object", "embed", "a", "use", "image", "style"}
OTHERS = "(others)"


class UnsafeChart(RuntimeError):
    """The SVG writer produced something active (a script, a handler, a link): never inlined."""


@dataclass(frozen=True)
class Chart:
    """One chart: an id for the page, a title, and its Vega-Lite spec."""

    key: str
    title: str
    spec: dict

    def svg(self) -> Markup:
        return chart_svg(self.spec)

    def png(self, scale: float = 1.0) -> bytes:
        return chart_png(self.spec, scale)


def _number(value: Decimal | int | None) -> float:
    # Chart geometry only: bar lengths in pixels. Every figure people read is in the tables.
    return float(value or 0)


def _base(title: str, height: int, **extra: Any) -> dict:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {"text": title, "anchor": "start", "fontSize": 13, "fontWeight": 600, "color": "#1d2733"},
        "width": WIDTH,
        "height": height,
        "background": "white",
        "config": {"font": FONT, "view": {"stroke": None},
                   "axis": {"labelColor": "#3b4957", "titleColor": "#3b4957", "gridColor": "#e6ebf0",
                            "labelFontSize": 11, "titleFontSize": 11, "domainColor": "#b8c2cc"},
                   "legend": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 320}},
        **extra,
    }


def spend_over_time(points: Iterable[tuple[str, Decimal | None]], currency: str, title: str = "Spend per day") -> Chart:
    """Daily (or per period) priced spend as bars; `points` are (YYYY-MM-DD or label, cost)."""
    values = [{"day": day, "cost": _number(cost)} for day, cost in points]
    temporal = all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v["day"]) for v in values)
    x = ({"field": "day", "type": "temporal", "timeUnit": "utcyearmonthdate", "title": None,
          "axis": {"format": "%d %b", "labelAngle": 0, "tickCount": 12}}
         if temporal else {"field": "day", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}})
    spec = _base(title, 150, data={"values": values}, mark={"type": "bar", "color": PALETTE[0]},
                 encoding={"x": x, "y": {"field": "cost", "type": "quantitative", "title": currency,
                                         "axis": {"format": ",.2f"}}})
    return Chart("spend-over-time", title, spec)


def top_groups(rows: list[dict], label: str, currency: str, title: str, limit: int = 10) -> Chart:
    """The groups with the most spend as horizontal bars with their share; the rest as one bar."""
    priced = [r for r in rows if r.get("cost") is not None]
    shown, rest = priced[:limit], priced[limit:]
    total = sum((r["cost"] for r in priced), Decimal(0))
    values = [{"name": _label(r[label]), "cost": _number(r["cost"]), "share": _share_text(r["cost"], total)}
              for r in shown]
    if rest:
        others = sum((r["cost"] for r in rest), Decimal(0))
        values.append({"name": f"{OTHERS[:-1]}: {len(rest)} more)", "cost": _number(others),
                       "share": _share_text(others, total)})
    height = max(40, 19 * len(values))
    spec = _base(title, height, data={"values": values}, encoding={
        "y": {"field": "name", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 230}},
        "x": {"field": "cost", "type": "quantitative", "title": currency,
              "axis": {"format": ",.2f", "tickCount": 5, "labelOverlap": True, "labelFlush": True}},
    }, layer=[
        {"mark": {"type": "bar", "color": PALETTE[0], "height": 14}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "color": "#3b4957"},
         "encoding": {"text": {"field": "share"}}},
    ])
    spec["width"] = 380
    return Chart(f"top-{label}", title, spec)


def stacked_mix(rows: list[dict], period_key: str, label: str, currency: str, title: str, limit: int = 8) -> Chart:
    """Spend per period stacked by `label` (e.g. model mix); past `limit` names, one "(others)"."""
    totals: dict[str, Decimal] = {}
    for row in rows:
        if row.get("cost") is not None:
            totals[row[label]] = totals.get(row[label], Decimal(0)) + row["cost"]
    ranked = sorted(totals, key=lambda name: (-totals[name], _label(name)))
    keep = set(ranked[:limit])
    merged: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        if row.get("cost") is None:
            continue
        name = row[label] if row[label] in keep else OTHERS
        key = (row[period_key], name)
        merged[key] = merged.get(key, Decimal(0)) + row["cost"]
    order = [n for n in ranked if n in keep] + ([OTHERS] if len(ranked) > limit else [])
    values = [{"period": p, "name": _label(n), "cost": _number(c), "rank": order.index(n)} for (p, n), c in merged.items()]
    spec = _base(title, 220, data={"values": values}, mark={"type": "bar"}, encoding={
        "x": {"field": "period", "type": "ordinal", "title": None,
              "axis": {"labelAngle": 0, "labelOverlap": "parity",
                       "labelExpr": "length(datum.label) == 10 ? slice(datum.label, 5) : datum.label"}},
        "y": {"field": "cost", "type": "quantitative", "title": currency, "stack": True, "axis": {"format": ",.2f"}},
        "color": {"field": "name", "type": "nominal", "title": label.replace("_", " "),
                  "sort": [_label(n) for n in order],
                  "scale": {"domain": [_label(n) for n in order], "range": PALETTE[:len(order)]},
                  "legend": {"orient": "right"}},
        "order": {"field": "rank", "type": "quantitative"},
    })
    spec["width"] = 640
    return Chart(f"mix-{label}", title, spec)


def parts_bars(parts: list[tuple[str, Decimal]], currency: str, title: str = "Cost split") -> Chart:
    """What the spend is made of (uncached input, cached input, cache writes, output, ...)."""
    total = sum((amount for _, amount in parts), Decimal(0))
    values = [{"name": name, "cost": _number(amount), "share": _share_text(amount, total)} for name, amount in parts]
    spec = _base(title, max(40, 22 * len(values)), data={"values": values}, encoding={
        "y": {"field": "name", "type": "nominal", "sort": None, "title": None, "axis": {"labelLimit": 260}},
        "x": {"field": "cost", "type": "quantitative", "title": currency,
              "axis": {"format": ",.2f", "tickCount": 5, "labelOverlap": True, "labelFlush": True}},
    }, layer=[
        {"mark": {"type": "bar", "color": PALETTE[2], "height": 14}},
        {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 11, "color": "#3b4957"},
         "encoding": {"text": {"field": "share"}}},
    ])
    spec["width"] = 380
    return Chart("cost-split", title, spec)


def _label(value: Any) -> str:
    from analyzer.render import label

    return label(value)


def _share_text(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return ""
    share = (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))
    return f"{share}%"


def chart_svg(spec: dict) -> Markup:
    """The spec as an inline SVG element, checked to be inert."""
    import vl_convert

    return safe_svg(vl_convert.vegalite_to_svg(spec))


def chart_png(spec: dict, scale: float = 1.0) -> bytes:
    """The spec as PNG bytes (for e-mail clients, which do not show inline SVG)."""
    import vl_convert

    return vl_convert.vegalite_to_png(spec, scale=scale)


def safe_svg(svg: str) -> Markup:
    """Refuse SVG with anything active in it (scripts, event handlers, links, embedded HTML);
    text is escaped by the writer, which this parse also proves (a raw `<` would not parse)."""
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as exc:
        raise UnsafeChart(f"chart SVG does not parse: {exc}") from None
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag in ACTIVE_TAGS:
            raise UnsafeChart(f"chart SVG holds a <{tag}> element")
        for name, value in element.attrib.items():
            attr = name.rsplit("}", 1)[-1].lower()
            if attr.startswith("on") or attr == "href" or "javascript:" in value.lower():
                raise UnsafeChart(f"chart SVG holds an active attribute {attr}")
    # role="img" and an accessible name instead of the writer's long aria description
    svg = re.sub(r"^<svg ", '<svg role="img" ', svg, count=1)
    return Markup(svg)
