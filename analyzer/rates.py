"""The rate card: validate a CSV card whole, replace the store's rates in one transaction.

A card has SPEC's nine columns, then optional ones found by their header name (README "Rate
card"); the pricing rule that uses them is queries/views/010_pricing.sql.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, fields
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb

from analyzer.errors import BadInput
from analyzer.modes import MODES
from analyzer.money import RATE_PLACES, rate_problem
from analyzer.sqlfiles import query, table
from analyzer.store import transaction

CARD_COLUMNS = ("model", "mode", "input_per_mtok", "output_per_mtok", "cached_input_per_mtok",
                "cache_write_per_mtok", "valid_from", "valid_to", "currency")
# Optional columns after the nine, by header name (an old card loads unchanged; each may be empty).
PRICE_COLUMNS = ("cache_write_1h_per_mtok", "audio_input_per_mtok", "audio_output_per_mtok",
                 "image_input_per_mtok", "image_output_per_mtok", "per_request", "web_search_per_k")
OPTIONAL_COLUMNS = ("provider", "service_tier", "input_tokens_above", *PRICE_COLUMNS)
MAX_DECIMALS = RATE_PLACES  # rates are stored as DECIMAL(24, 12) (analyzer/money.py)
DEFAULT_TIERS = ("", "default", "standard", "auto")  # the tier key '' (service_tier_key in SQL)
DEFAULT_CARD = Path(__file__).resolve().parent / "data" / "default_rates.csv"
_GLOB = re.compile(r"[*?\[]")


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
    provider: str | None = None
    service_tier: str | None = None
    input_tokens_above: int | None = None
    cache_write_1h_per_mtok: Decimal | None = None
    audio_input_per_mtok: Decimal | None = None
    audio_output_per_mtok: Decimal | None = None
    image_input_per_mtok: Decimal | None = None
    image_output_per_mtok: Decimal | None = None
    per_request: Decimal | None = None
    web_search_per_k: Decimal | None = None

    @property
    def family(self) -> tuple:
        """Rows of one family differ only by validity and context tier."""
        return (self.model, self.mode, self.provider, self.service_tier)


class CardError(BadInput):
    def __init__(self, path: Path, line: int, reason: str):
        super().__init__(f"rate card {path} line {line}: {reason}; no rates changed")


def parse_price(text: str, column: str, path: Path, line: int, required: bool) -> Decimal | None:
    text = text.strip()
    if not text:
        if required:
            raise CardError(path, line, f"{column} is empty")
        return None
    unit = {"per_request": "a request", "web_search_per_k": "per 1,000 calls"}.get(column, "per 1M tokens")
    problem = rate_problem(text, unit)
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
    return parse_card(rows, path)


def parse_card(rows: list[list[str]], path: Path) -> list[Rate]:
    """Validate a card's CSV rows (header first); `path` names it in the errors."""
    if not rows:
        raise CardError(path, 1, "the file is empty")
    header = [h.strip().lower() for h in rows[0]]
    if tuple(header[: len(CARD_COLUMNS)]) != CARD_COLUMNS:
        raise CardError(path, 1, "header must start with " + ",".join(CARD_COLUMNS))
    optional = {name: header.index(name) for name in OPTIONAL_COLUMNS if name in header}
    rates = [_parse_row(row, number, path, optional)
             for number, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    if not rates:
        raise CardError(path, 2, "the card has no rates")
    _check_currency(rates, path)
    _check_overlaps(rates, path)
    _check_tier_bases(rates, path)
    return rates


def _parse_row(row: list[str], line: int, path: Path, optional: dict[str, int] | None = None) -> Rate:
    if len(row) < len(CARD_COLUMNS):
        raise CardError(path, line, f"expected at least {len(CARD_COLUMNS)} columns, found {len(row)}")
    cells = dict(zip(CARD_COLUMNS, row))
    for name, index in (optional or {}).items():
        cells[name] = row[index] if index < len(row) else ""
    model = cells["model"].strip()
    if not model:
        raise CardError(path, line, "model is empty")
    if model.count("[") != model.count("]"):
        raise CardError(path, line, f"model pattern {model!r} has an unclosed [")
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
    provider = cells.get("provider", "").strip().lower() or None
    tier = cells.get("service_tier", "").strip().lower()
    above_text = cells.get("input_tokens_above", "").strip()
    if above_text and not above_text.isdigit():
        raise CardError(path, line, f"input_tokens_above {above_text!r} is not a whole number of tokens >= 0")
    return Rate(
        model=model, mode=mode,
        input_per_mtok=parse_price(cells["input_per_mtok"], "input_per_mtok", path, line, True),
        output_per_mtok=parse_price(cells["output_per_mtok"], "output_per_mtok", path, line, True),
        cached_input_per_mtok=parse_price(cells["cached_input_per_mtok"], "cached_input_per_mtok", path, line, False),
        cache_write_per_mtok=parse_price(cells["cache_write_per_mtok"], "cache_write_per_mtok", path, line, False),
        valid_from=valid_from, valid_to=valid_to, currency=currency, card_line=line,
        provider=provider, service_tier=None if tier in DEFAULT_TIERS else tier,
        input_tokens_above=int(above_text) if above_text else None,
        **{name: parse_price(cells.get(name, ""), name, path, line, False) for name in PRICE_COLUMNS},
    )


def is_pattern(model: str) -> bool:
    """A card model with glob characters (`*`, `?`, `[...]`) matches names; else it is one name."""
    return bool(_GLOB.search(model))


def _check_currency(rates: list[Rate], path: Path) -> None:
    first = rates[0].currency
    for rate in rates:
        if rate.currency != first:
            raise CardError(path, rate.card_line, f"currency {rate.currency} differs from {first}: one card, one currency")


def _check_overlaps(rates: list[Rate], path: Path) -> None:
    never = datetime.min.replace(tzinfo=timezone.utc)
    by_key: dict[tuple, list[Rate]] = {}
    for rate in rates:
        by_key.setdefault((*rate.family, rate.input_tokens_above), []).append(rate)
    for (model, mode, provider, tier, above), group in by_key.items():
        group.sort(key=lambda r: r.valid_from or never)
        for earlier, later in zip(group, group[1:]):
            if earlier.valid_to is None or earlier.valid_to > (later.valid_from or never):
                what = ", ".join(x for x in (mode, provider and f"provider {provider}", tier and f"tier {tier}",
                                             above is not None and f"input above {above:,}") if x)
                raise CardError(path, later.card_line, f"{model} ({what}) overlaps the validity of line {earlier.card_line}")


def _check_tier_bases(rates: list[Rate], path: Path) -> None:
    """A context-tier row prices requests above its threshold: its family needs a base row (no
    input_tokens_above) for the requests below it."""
    bases = {rate.family for rate in rates if rate.input_tokens_above is None}
    for rate in rates:
        if rate.input_tokens_above is not None and rate.family not in bases:
            raise CardError(path, rate.card_line, f"input_tokens_above needs a base row for {rate.model} "
                            "(same mode, provider and service_tier, input_tokens_above empty)")


def card_table(rates: list[Rate]):
    """The rates as an Arrow table with the columns of the `rates` table (any name registered with
    this table is a rates-shaped relation for price_usage: a card priced without loading it)."""
    import pyarrow as pa

    decimal = pa.decimal128(24, MAX_DECIMALS)
    types = {"model": pa.string(), "mode": pa.string(), "valid_from": pa.timestamp("us", tz="UTC"),
             "valid_to": pa.timestamp("us", tz="UTC"), "currency": pa.string(), "card_line": pa.int32(),
             "provider": pa.string(), "service_tier": pa.string(), "input_tokens_above": pa.int64()}
    return pa.table({f.name: pa.array([getattr(r, f.name) for r in rates], types.get(f.name, decimal))
                     for f in fields(Rate)})


@dataclass(frozen=True)
class Loaded:
    """What a rates or capacity load did: rows loaded, the version now current and whether the
    load made it (False: the file was the current version's)."""

    rows: int
    version: int
    new_version: bool
    repriced: tuple = ()  # closed months whose current-rate cost it changed (--reprice-closed)


def load_card(con: duckdb.DuckDBPyConnection, path: Path, reprice_closed: bool = False) -> Loaded:
    """Replace the store's rates with a validated card and keep it as a rates version, in one
    transaction; refused (rolled back) when it would change the cost of a closed month, unless
    `reprice_closed` (then logged; closed months keep their frozen numbers either way)."""
    from analyzer.closing import check_closed_months, closed_month_costs
    from analyzer.history import RATES, file_sha256, record_version

    rates = read_card(path)
    sha256 = file_sha256(path)
    con.register("card", card_table(rates))
    try:
        with transaction(con):
            before = closed_month_costs(con)
            con.execute(query("replace_rates"))
            con.execute(query("set_setting"), {"key": "currency", "value": rates[0].currency})
            version, new = record_version(con, RATES, path, sha256, len(rates))
            repriced = check_closed_months(con, before, load=f"rates load {path}", reprice_closed=reprice_closed)
    finally:
        con.unregister("card")
    con.execute("CHECKPOINT")
    return Loaded(len(rates), version, new, tuple(repriced))


def list_rates(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """The rates as loaded: column names and rows."""
    return table(con, "list_rates")


def unpriced_models(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    """Usage the rates cannot price, per model, mode and tier, with counts and the reason."""
    return table(con, "unpriced_models")


def explain_rates(con: duckdb.DuckDBPyConnection, model: str, *, provider: str | None = None,
                  mode: str = "serverless", service_tier: str | None = None) -> tuple[list[str], list[tuple]]:
    """Which card row prices `model` (for each provider, mode and tier its usage has, and the one
    asked for), per time and input range, by the pricing rule itself, with the usage it priced."""
    con.execute(query("create_explain_keys"), {"model": model, "provider": provider, "mode": mode,
                                                "service_tier": service_tier})
    return table(con, "explain_rates")
