"""Outputs: text tables, CSV (formula-safe), JSON (money as decimal strings) and HTML (Jinja2)."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import re
import unicodedata
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Iterable, Sequence, TextIO

from markupsafe import Markup, escape

from analyzer.sqlfiles import resource_dir

if TYPE_CHECKING:
    import jinja2

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FORMULA_CHARS = ("=", "+", "-", "@")
# What makes text unsafe on a terminal: every control character (C0 with tab and newline, DEL, C1:
# escape sequences can clear the screen or write the clipboard) and the bidirectional overrides
# and isolates (they reorder what is shown).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# The same less C0, which json.dumps escapes itself (and whose newlines lay out the document).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
MONEY_COLUMNS = {"cost", "input_cost", "cached_input_cost", "cache_write_cost", "output_cost",
                 "cost_per_request", "monthly_cost", "spend", "idle_cost"}


def exact(value: Decimal) -> str:
    """A Decimal as plain text without exponent or trailing zeros: 0.006900 -> '0.0069'."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def money(value: Decimal | None, currency: str = "USD") -> str:
    """Display rounding only: cents from $1 up, four places below (so $0.0069 stays readable)."""
    if value is None:
        return "unpriced"
    value = Decimal(value)
    places = Decimal("0.01") if abs(value) >= 1 or value == 0 else Decimal("0.0001")
    text = f"{value.quantize(places):,}"
    if currency == "USD":  # -$0.0036, not $-0.0036
        return "-$" + text[1:] if text.startswith("-") else "$" + text
    return f"{text} {currency}"


class Reserved(str):
    """A label the report writes itself, never a name read from the logs: label() shows it as it
    is, while a real name that reads like it is quoted."""


# A missing dimension value (NULL: no tenant, feature...) in tables and HTML; CSV and JSON keep it
# empty / null. A real name that reads like one of these labels is shown quoted, so they never
# look alike: (none) is missing, "(none)" a tenant of that name, ""(none)"" one named "(none)".
MISSING = "(none)"
# The row of a report that holds the idle part of capacity spend (analyzer/capacityreport.py); in
# CSV and JSON its dimensions are empty / null and its idle_capacity column true.
IDLE_CAPACITY = Reserved("(idle capacity)")
RESERVED_LABELS = (MISSING, IDLE_CAPACITY)
_LABEL_LIKE = re.compile(r'^"*(' + "|".join(re.escape(label) for label in RESERVED_LABELS) + r')"*$')


def label(value: Any) -> str:
    """A dimension value for display: None is MISSING, a Reserved label itself; a real name that
    could be read as a reserved label is wrapped in quotes."""
    if value is None:
        return MISSING
    if isinstance(value, Reserved):
        return str.__str__(value)
    text = str(_plain(value))
    return f'"{text}"' if _LABEL_LIKE.match(text) else text


def money_at(value: Decimal | None, places: int, currency: str = "USD") -> str:
    """Money at a fixed number of places (one precision for a whole table column)."""
    from analyzer.terminal import format_money

    return format_money(value, places, currency)


def money_places(values) -> int:
    from analyzer.terminal import money_places as places

    return places(list(values))


def signed(value, is_money: bool = False, currency: str = "USD", places: int | None = None) -> str:
    """A change with its sign: +$1.20, -3,400, +0 (money at `places` when given)."""
    if value is None:
        return ""
    sign = "+" if value >= 0 else "-"
    if is_money:
        return sign + (money(abs(value), currency) if places is None else money_at(abs(value), places, currency))
    return sign + f"{abs(value):,}"


BREAK_EVERY = 20  # a run this long without a space, dash or slash gets break opportunities


def breakable(value: Any) -> Markup:
    """A name (through label(): None shows as (none)) escaped for HTML, with <wbr> inside long
    unbroken runs so a table column can wrap any name (<wbr> adds no characters)."""
    text = label(value)
    pieces, run = [], ""
    for char in text:
        run += char
        if char in " -/_.:" or len(run) >= BREAK_EVERY:
            pieces.append(run)
            run = ""
    pieces.append(run)
    return Markup("<wbr>").join(escape(piece) for piece in pieces if piece)


def header(column: str) -> Markup:
    """A column name as a table header on at most two lines: "cached input<br>tokens"."""
    words = str(column).replace("_", " ").rsplit(" ", 1)
    return Markup("<br>").join(escape(w) for w in words)


def tokens(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def visible(text: str) -> str:
    """Text for a terminal: control characters shown as escapes (ESC as \\x1b, a newline as
    \\x0a, a right-to-left override as \\u202e), so a name from the logs cannot drive the
    operator's terminal. Every terminal renderer passes its text through here."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text)


def visible_text(text: str) -> str:
    """A multi-line terminal text made visible line by line (its own line ends kept)."""
    return "\n".join(visible(line) for line in text.split("\n"))


def neutralise(cell: Any) -> Any:
    """A text cell a spreadsheet would run as a formula gets a leading quote; numbers pass as they are.

    Formula-like: starting with tab or CR, or with = + - @ after any leading spaces, tabs or line
    ends (spreadsheets skip them). Full-width and other compatibility forms (＝ U+FF1D, ＋, －, ＠,
    ﹦...) count too: some spreadsheets (East Asian input modes, NFKC-normalising importers) read
    them as the ASCII sign, and a stray quote on such a rare name costs little."""
    if not isinstance(cell, str) or not cell:
        return cell
    if cell.startswith(FORMULA_START):
        return "'" + cell
    first = cell.lstrip(" \t\r\n")[:1]
    if first and (first in FORMULA_CHARS or unicodedata.normalize("NFKC", first)[:1] in FORMULA_CHARS):
        return "'" + cell
    return cell


def iso_duration(value: timedelta) -> str:
    """An INTERVAL as ISO 8601 (P1DT2H3M4.5S). DuckDB hands Python a month as 30 days."""
    sign = "-" if value < timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    second = f"{seconds}.{value.microseconds:06d}".rstrip("0").rstrip(".") if value.microseconds else str(seconds)
    return f"{sign}P{value.days}DT{hours}H{minutes}M{second}S"


def _plain(value: Any) -> Any:
    """A value as text-friendly data: exact decimals, ISO 8601 times and durations, UUIDs as text,
    binary as base64; other values as they are."""
    if isinstance(value, Decimal):
        return exact(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return iso_duration(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO, terminal: bool = False) -> None:
    """CSV to `out`, row by row (rows may be a stream); for a `terminal`, text made visible()."""
    if terminal:
        rows = ([visible(v) if isinstance(v, str) else v for v in row] for row in rows)
        columns = [visible(c) for c in columns]
    # RFC 4180 line ends: the csv module then quotes any cell holding a CR or LF.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])  # `sql` column names are the user's
    for row in rows:
        # only text is neutralised: a negative number stays a number
        writer.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else _plain(v) for v in row])


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    write_csv(columns, rows, out)
    return out.getvalue()


def json_ready(value: Any) -> Any:
    """Plain JSON data, recursively: decimals as exact strings (never floats), times ISO 8601,
    INTERVAL an ISO 8601 duration, UUID text, BLOB base64, NaN and infinities null (JSON has no
    such numbers), map keys as text."""
    if isinstance(value, dict):
        return {_json_key(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return _plain(value)


def _json_key(key: Any) -> Any:
    if key is None or isinstance(key, (str, int, bool)):
        return key
    if isinstance(key, float):
        return key if math.isfinite(key) else str(key)
    return str(_plain(key))


def _dumps(data: Any) -> str:
    # allow_nan=False: never write NaN / Infinity, which are not JSON. json escapes C0 controls
    # itself; C1 controls and bidirectional overrides are escaped too (the same data, and safe to
    # print on a terminal).
    text = json.dumps(json_ready(data), indent=2, ensure_ascii=False, allow_nan=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def to_json(data: Any) -> str:
    return _dumps(data) + "\n"


def write_json_records(columns: Sequence[str], rows: Iterable[Sequence[Any]], out: TextIO) -> None:
    """A JSON array of one object per row, written row by row: the same text as
    `to_json([dict(zip(columns, row)) for row in rows])` without holding every row."""
    first = True
    for row in rows:
        item = _dumps(dict(zip(columns, row)))
        out.write(("[\n  " if first else ",\n  ") + item.replace("\n", "\n  "))
        first = False
    out.write("[]\n" if first else "\n]\n")


def to_table(columns: Sequence[str], rows: Iterable[Sequence[Any]], currency: str = "USD",
             dimensions: Sequence[str] = ()) -> str:
    """An aligned plain-text table for the terminal; money rounded for display; `dimensions`
    are shown through label() (a missing value as (none))."""
    body = []
    for row in rows:
        cells = []
        for name, value in zip(columns, row):
            if name in dimensions:
                cells.append(label(value))
            elif name in MONEY_COLUMNS:
                cells.append(money(value, currency) if value is not None or name == "cost" else "")
            elif isinstance(value, int) and not isinstance(value, bool):
                cells.append(tokens(value))
            elif value is None:
                cells.append("")
            else:
                cells.append(str(_plain(value)))
        body.append(cells)
    return align(columns, body)


def align(columns: Sequence[str], body: list[list[str]]) -> str:
    """Text cells as an aligned table: numeric-looking columns right-aligned, a rule under the
    header; every cell made visible() for the terminal."""
    columns = [visible(str(c)) for c in columns]
    body = [[visible(c) for c in row] for row in body]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(columns)]
    numeric = [all(_looks_numeric(r[i]) for r in body) and bool(body) for i in range(len(columns))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if n else c.ljust(w) for c, w, n in zip(cells, widths, numeric)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *(line(r) for r in body)]) + "\n"


def _looks_numeric(text: str) -> bool:
    stripped = text.replace(",", "").replace("$", "").replace(".", "").replace("-", "")
    return stripped.isdigit() or text in ("", "unpriced")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The one Jinja2 environment: autoescape on for every template, money filters registered."""
    import jinja2  # here, not at the top: ingest and status use this module's label helpers only

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(resource_dir("templates"))),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["tokens"] = tokens
    env.filters["label"] = label
    env.filters["exact"] = lambda v: "" if v is None else exact(v)
    env.filters["percent"] = lambda v: "" if v is None else f"{v:.1%}"
    env.filters["money_at"] = money_at
    env.filters["breakable"] = breakable
    env.filters["header"] = header
    env.globals["money_places"] = money_places
    env.globals["signed"] = signed
    return env


def render_template(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
