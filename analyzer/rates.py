"""The rate card: validate a CSV card whole, replace the store's rates in one transaction."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb

from analyzer.errors import BadInput
from analyzer.modes import MODES
from analyzer.sqlfiles import query, table
from analyzer.store import transaction

CARD_COLUMNS = ("model", "mode", "input_per_mtok", "output_per_mtok", "cached_input_per_mtok",
                "cache_write_per_mtok", "valid_from", "valid_to", "currency")
MAX_DECIMALS = 6  # rates are stored as DECIMAL(18, 6)
MAX_RATE = Decimal(1_000_000)  # per 1M tokens; keeps every cost sum far inside DECIMAL(38, 18)
DEFAULT_CARD = Path(__file__).resolve().parent / "data" / "default_rates.csv"


@dataclass(frozen=True)
class Rate:
    model: str
    mode: str
    input_per_mtok: Decimal
    output_per_mtok: Decimal
    cached_input_per_mtok: Decimal | None
    cache_write_per_mtok: Decimal | None
    valid_from: datetime | None
    valid_to: datetime | None
    currency: str
    card_line: int


class CardError(BadInput):
    def __init__(self, path: Path, line: int, reason: str):
        super().__init__(f"rate card {path} line {line}: {reason}; no rates changed")


def rate_problem(text: str) -> str | None:
    """Why a rate (USD per 1M tokens) cannot be stored exactly, or None: the one check for cards and
    for prices given on the command line."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return "is not a number"
    if not value.is_finite() or value < 0:
        return "must be a number >= 0"
    if value >= MAX_RATE:
        return f"is not below {MAX_RATE:,} per 1M tokens"
    if -value.as_tuple().exponent > MAX_DECIMALS:
        return f"has more than {MAX_DECIMALS} decimal places"
    return None


def parse_price(text: str, column: str, path: Path, line: int, required: bool) -> Decimal | None:
    text = text.strip()
    if not text:
        if required:
            raise CardError(path, line, f"{column} is empty")
        return None
    problem = rate_problem(text)
    if problem:
        raise CardError(path, line, f"{column} {text!r} {problem}")
    return Decimal(text)


def parse_instant(text: str, column: str, path: Path, line: int) -> datetime | None:
    """A date (midnight UTC) or an ISO 8601 time; a time without zone is UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), timezone.utc)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CardError(path, line, f"{column} {text!r} is not a date (YYYY-MM-DD or ISO 8601)") from None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def read_card(path: Path) -> list[Rate]:
    """Parse and validate a whole card; the first problem is a CardError naming its line."""
    try:
        handle = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"rate card {path}: {exc.strerror}") from None
    with handle:
        try:
            rows = list(csv.reader(handle))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise CardError(path, 1, f"not a CSV file ({exc})") from None
    if not rows:
        raise CardError(path, 1, "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if tuple(header[: len(CARD_COLUMNS)]) != CARD_COLUMNS:
        raise CardError(path, 1, "header must start with " + ",".join(CARD_COLUMNS))
    rates = [_parse_row(row, number, path) for number, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    if not rates:
        raise CardError(path, 2, "the card has no rates")
    _check_currency(rates, path)
    _check_overlaps(rates, path)
    return rates


def _parse_row(row: list[str], line: int, path: Path) -> Rate:
    if len(row) < len(CARD_COLUMNS):
        raise CardError(path, line, f"expected at least {len(CARD_COLUMNS)} columns, found {len(row)}")
    cells = dict(zip(CARD_COLUMNS, row))
    model = cells["model"].strip()
    if not model:
        raise CardError(path, line, "model is empty")
    mode = cells["mode"].strip().lower() or "serverless"
    if mode not in MODES:
        raise CardError(path, line, f"mode {mode!r} is not one of {', '.join(MODES)}")
    valid_from = parse_instant(cells["valid_from"], "valid_from", path, line)
    valid_to = parse_instant(cells["valid_to"], "valid_to", path, line)
    if valid_from and valid_to and valid_to <= valid_from:
        raise CardError(path, line, "valid_to must be after valid_from")
    currency = cells["currency"].strip().upper() or "USD"
    if len(currency) != 3 or not currency.isalpha():
        raise CardError(path, line, f"currency {currency!r} is not a 3-letter code")
    return Rate(
        model=model, mode=mode,
        input_per_mtok=parse_price(cells["input_per_mtok"], "input_per_mtok", path, line, True),
        output_per_mtok=parse_price(cells["output_per_mtok"], "output_per_mtok", path, line, True),
        cached_input_per_mtok=parse_price(cells["cached_input_per_mtok"], "cached_input_per_mtok", path, line, False),
        cache_write_per_mtok=parse_price(cells["cache_write_per_mtok"], "cache_write_per_mtok", path, line, False),
        valid_from=valid_from, valid_to=valid_to, currency=currency, card_line=line,
    )


def _check_currency(rates: list[Rate], path: Path) -> None:
    first = rates[0].currency
    for rate in rates:
        if rate.currency != first:
            raise CardError(path, rate.card_line, f"currency {rate.currency} differs from {first}: one card, one currency")


def _check_overlaps(rates: list[Rate], path: Path) -> None:
    never = datetime.min.replace(tzinfo=timezone.utc)
    by_key: dict[tuple[str, str], list[Rate]] = {}
    for rate in rates:
        by_key.setdefault((rate.model, rate.mode), []).append(rate)
    for (model, mode), group in by_key.items():
        group.sort(key=lambda r: r.valid_from or never)
        for earlier, later in zip(group, group[1:]):
            if earlier.valid_to is None or earlier.valid_to > (later.valid_from or never):
                raise CardError(path, later.card_line,
                                f"{model} ({mode}) overlaps the validity of line {earlier.card_line}")


def load_card(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Replace the store's rates with a validated card, in one transaction. Returns the row count."""
    import pyarrow as pa

    rates = read_card(path)
    columns = {name: [getattr(r, name) for r in rates] for name in Rate.__dataclass_fields__}
    decimal = pa.decimal128(18, MAX_DECIMALS)
    table = pa.table({
        "model": pa.array(columns["model"], pa.string()),
        "mode": pa.array(columns["mode"], pa.string()),
        **{name: pa.array(columns[name], decimal) for name in
           ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok")},
        "valid_from": pa.array(columns["valid_from"], pa.timestamp("us", tz="UTC")),
        "valid_to": pa.array(columns["valid_to"], pa.timestamp("us", tz="UTC")),
        "currency": pa.array(columns["currency"], pa.string()),
        "card_line": pa.array(columns["card_line"], pa.int32()),
    })
    con.register("card", table)
    try:
        with transaction(con):
            con.execute(query("replace_rates"))
            con.execute(query("set_setting"), {"key": "currency", "value": rates[0].currency})
    finally:
        con.unregister("card")
    con.execute("CHECKPOINT")
    return len(rates)


def list_rates(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """The rates as loaded: column names and rows."""
    return table(con, "list_rates")


def unpriced_models(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """Models seen in usage with no rate in force, with request and token counts."""
    return table(con, "unpriced_models")
