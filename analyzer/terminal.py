"""Tables for a terminal: fit the width (`COLUMNS`, else the terminal's), shorten long names,
one precision per money column, and an optional total line under a rule."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal
from typing import Any, Sequence

ELLIPSIS = "…"
MIN_TEXT = 10  # a shortened name keeps at least this many characters
LAST_RESORT = 6
GAP = "  "
SHORT_HEADERS = {"input_tokens": "input", "cached_input_tokens": "cached", "cache_write_tokens": "cache_write",
                 "output_tokens": "output", "unpriced_requests": "unpriced"}


def terminal_width(default: int = 100) -> int:
    """COLUMNS when set (scripts, tests), else the terminal's width, else `default`."""
    value = os.environ.get("COLUMNS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    return shutil.get_terminal_size((default, 24)).columns


def money_places(values: Sequence[Decimal | None]) -> int:
    """One precision for a whole money column: enough places (2, 4 or 6) for its smallest
    non-zero amount to show two significant digits ($0.54 -> cents, $0.0099 -> 4 places)."""
    amounts = [abs(Decimal(v)) for v in values if v is not None and v != 0]
    if not amounts:
        return 2
    smallest = min(amounts)
    needed = -smallest.adjusted() + 1  # 0.0099 has adjusted() -3: 4 places show "0.0099"
    for places in (2, 4, 6):
        if needed <= places:
            return places
    return 6


def format_money(value: Decimal | None, places: int, currency: str = "USD", empty: str = "unpriced") -> str:
    if value is None:
        return empty
    text = f"{Decimal(value).quantize(Decimal(1).scaleb(-places)):,}"
    return "$" + text if currency == "USD" else f"{text} {currency}"


def shorten(text: str, width: int) -> str:
    """`text` cut to `width` characters with an ellipsis in the middle (both ends of a model
    name tell models apart: meta-llama/Llama-4-Mav…Instruct-FP8)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    head = (width - 1) // 2 + (width - 1) % 2
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def compact(value: int) -> str:
    """A count in at most 6 characters for a narrow terminal: 16,619,862 -> 16.6M (display only)."""
    for size, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if abs(value) >= size:
            scaled = Decimal(value) / size
            return f"{scaled.quantize(Decimal('0.1') if abs(scaled) < 100 else Decimal(1))}{suffix}"
    return str(value)


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, money: Sequence[str] = (),
           currency: str = "USD", total: Sequence[Any] | None = None, width: int | None = None,
           unpriced_text: dict[str, str] | None = None, compactable: Sequence[str] = (),
           dimensions: Sequence[str] = ()) -> str:
    """An aligned table. `money` names the money columns (one precision each); numbers are right
    aligned; `dimensions` show through render.label (a missing name as (none)). When it is wider
    than the terminal, the `compactable` count columns are shown as
    16.6M first, then text columns shrink (longest first, ellipsis in the middle)."""
    width = width or terminal_width()
    unpriced_text = unpriced_text or {}
    all_rows = list(rows) + ([total] if total is not None else [])
    places = {name: money_places([r[i] for r in all_rows]) for i, name in enumerate(columns) if name in money}
    numeric = [name in money or all(isinstance(r[i], (int, Decimal)) or r[i] is None for r in all_rows)
               for i, name in enumerate(columns)]

    def cell(name: str, value: Any, short: bool = False) -> str:
        if name in money:
            return format_money(value, places[name], currency, unpriced_text.get(name, "unpriced"))
        if name in dimensions:
            from analyzer.render import label

            return label(value)
        if value is None:
            return ""
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, int):
            return compact(value) if short and name in compactable else f"{value:,}"
        return str(value)

    from analyzer.render import visible  # names come from the logs: control characters shown, not sent

    headers = [visible(SHORT_HEADERS.get(c, c)) for c in columns]

    def layout(short: bool):
        body = [[visible(cell(n, v, short)) for n, v in zip(columns, r)] for r in rows]
        foot = [visible(cell(n, v, short)) for n, v in zip(columns, total)] if total is not None else None
        lines = body + ([foot] if foot else [])
        widths = [max([len(h)] + [len(r[i]) for r in lines]) for i, h in enumerate(headers)]
        return body, foot, widths

    body, foot, widths = layout(False)
    if compactable and sum(widths) + len(GAP) * (len(widths) - 1) > width:
        body, foot, widths = layout(True)
    text_columns = [i for i, n in enumerate(numeric) if not n]
    for floor in (MIN_TEXT, LAST_RESORT):  # names keep 10 characters, 6 if that still does not fit
        while sum(widths) + len(GAP) * (len(widths) - 1) > width:
            shrinkable = [i for i in text_columns if widths[i] > max(floor, min(len(headers[i]), floor))]
            if not shrinkable:
                break
            widest = max(shrinkable, key=lambda i: widths[i])
            widths[widest] -= 1

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, text in enumerate(cells):
            text = shorten(text, widths[i])
            out.append(text.rjust(widths[i]) if numeric[i] else text.ljust(widths[i]))
        return GAP.join(out).rstrip()

    rule = GAP.join("-" * w for w in widths)
    result = [line(headers), rule, *(line(r) for r in body)]
    if foot:
        result += [rule, line(foot)]
    return "\n".join(result) + "\n"
