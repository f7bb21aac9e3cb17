"""What every bill reader shares: the bill and its lines, the file being read, and the
parsing of its cells (exact amounts, UTC days, currencies, modes), each failure one BadBill line
naming the file, where in it and why."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Callable, Iterator

from analyzer.errors import BadBill
from analyzer.modes import MODES

KEYS = ("model", "project", "tenant", "mode")  # what a bill line may carry besides day and amount
AMOUNT_PLACES = 18  # amounts are compared as DECIMAL(38, 18), the scale of priced_usage.cost
AMOUNT_LIMIT = Decimal(10) ** 20


def bill_error(path: Path, where: str | None, reason: str) -> BadBill:
    """The one line for a bill that cannot be read: file, where in it, why."""
    return BadBill(f"bill {path}{' ' + where if where else ''}: {reason}")


@dataclass(frozen=True)
class BillLine:
    day: date
    amount: Decimal
    currency: str
    where: str  # "line 3", "record 2", "row 5": where it is in the file
    model: str | None = None
    project: str | None = None
    tenant: str | None = None
    mode: str | None = None


@dataclass
class Bill:
    path: Path
    kind: str
    lines: list[BillLine]
    keys: tuple[str, ...]  # the KEYS this bill carries, in KEYS order
    sha256: str
    provider: str | None = None  # compare with this provider's usage only (None: all usage)
    skipped: int = 0  # records that are not usage charges
    notes: list[str] = field(default_factory=list)

    @property
    def currency(self) -> str:
        return self.lines[0].currency if self.lines else "USD"


@dataclass(frozen=True)
class BillFormat:
    name: str
    description: str
    detect: Callable[["BillSource"], bool]
    read: Callable[["BillSource"], Bill]




@dataclass
class BillSource:
    path: Path
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def fail(self, where: str | None, reason: str) -> BadBill:
        return bill_error(self.path, where, reason)

    def text(self) -> str:
        try:
            return self.data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = self.data[: exc.start].count(b"\n") + 1
            raise self.fail(f"line {line}", "not UTF-8 text") from None

    def is_parquet(self) -> bool:
        return self.data[:4] == b"PAR1"


def amount_of(source: BillSource, where: str, value: Any, column: str) -> Decimal:
    """An exact amount: a JSON number's text, a decimal cell, a CSV cell; not a bool, not NaN."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise source.fail(where, f"{column} is empty")
    if isinstance(value, bool):
        raise source.fail(where, f"{column} {value!r} is not a number")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise source.fail(where, f"{column} {str(value)[:40]!r} is not a number") from None
    if not number.is_finite():
        raise source.fail(where, f"{column} {value} is not a finite number")
    if abs(number) >= AMOUNT_LIMIT:
        raise source.fail(where, f"{column} {value} is not below {AMOUNT_LIMIT:,}")
    with localcontext() as context:
        context.prec = 60
        if number != number.quantize(Decimal(1).scaleb(-AMOUNT_PLACES)):
            raise source.fail(where, f"{column} {value} has more than {AMOUNT_PLACES} decimal places")
    return number


def currency_of(source: BillSource, where: str, value: Any) -> str:
    text = str(value or "").strip().upper() or "USD"
    if len(text) != 3 or not text.isalpha():
        raise source.fail(where, f"currency {str(value)[:20]!r} is not a 3-letter code")
    return text


def utc_day(source: BillSource, where: str, value: Any, column: str) -> date:
    """The UTC day of a time: Unix seconds, an ISO 8601 text (no zone = UTC) or a datetime."""
    instant = utc_instant(source, where, value, column)
    return instant.date()


def utc_instant(source: BillSource, where: str, value: Any, column: str) -> datetime:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise source.fail(where, f"{column} is empty")
    try:
        if isinstance(value, datetime):
            instant = value
        elif isinstance(value, date):
            instant = datetime.combine(value, datetime.min.time())
        elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            instant = datetime.fromtimestamp(int(value), timezone.utc)
        else:
            text = str(value).strip()
            instant = (datetime.combine(date.fromisoformat(text), datetime.min.time()) if len(text) == 10
                       else datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1)))
    except (ValueError, OverflowError, OSError):
        raise source.fail(where, f"{column} {str(value)[:40]!r} is not a time (ISO 8601 or Unix seconds)") from None
    instant = instant.replace(tzinfo=timezone.utc) if instant.tzinfo is None else instant.astimezone(timezone.utc)
    if not 2000 <= instant.year <= 2099:
        raise source.fail(where, f"{column} {str(value)[:40]!r} is outside 2000-2099")
    return instant


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def json_records(source: BillSource) -> Iterator[tuple[str, Any]]:
    """(where, record) of a JSON document (an array's items, or the one object) or of JSON Lines."""
    text = source.text()
    try:
        document = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
        try:
            json.loads(lines[0][1]) if len(lines) > 1 else None
        except json.JSONDecodeError:
            lines = []
        if len(lines) < 2:  # one document, broken where the parser says
            raise source.fail(f"line {whole.lineno}", f"not JSON ({whole.msg})") from None
        for number, line in lines:
            try:
                yield f"line {number}", json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as exc:
                raise source.fail(f"line {number}", f"not JSON ({exc.msg})") from None
        return
    if isinstance(document, list):
        for index, item in enumerate(document, start=1):
            yield f"record {index}", item
    else:
        yield "record 1", document


def csv_rows(source: BillSource) -> tuple[list[str], Iterator[tuple[str, dict]]]:
    """The header (as written) and (where, row) of a CSV file, where = its line in the file."""
    text = source.text()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise source.fail("line 1", "the file is empty") from None
    except csv.Error as exc:
        raise source.fail("line 1", f"not CSV ({exc})") from None
    names = [h.strip() for h in header]

    def rows() -> Iterator[tuple[str, dict]]:
        try:
            for row in reader:
                where = f"line {reader.line_num}"
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) > len(names):
                    raise source.fail(where, f"{len(row)} cells, the header has {len(names)}")
                yield where, dict(zip(names, row))
        except csv.Error as exc:
            raise source.fail(f"line {reader.line_num}", f"not CSV ({exc})") from None

    return names, rows()


def bill_keys(lines: list[BillLine], present: set[str] | None = None) -> tuple[str, ...]:
    """The keys a bill carries: those named in `present` (columns), else those any line has."""
    if present is not None:
        return tuple(k for k in KEYS if k in present)
    return tuple(k for k in KEYS if any(getattr(line, k) is not None for line in lines))


def check_mode(source: BillSource, where: str, value: Any) -> str | None:
    mode = text_of(value)
    if mode is None:
        return None
    if mode.lower() not in MODES:
        raise source.fail(where, f"mode {mode!r} is not one of {', '.join(MODES)}")
    return mode.lower()




def looks_json(source: BillSource) -> bool:
    return source.data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def first_json_record(source: BillSource) -> Any:
    """The first record of a JSON file (None when it is not JSON)."""
    if not looks_json(source):
        return None
    for _, record in json_records(source):
        return record
    return None


def csv_header(source: BillSource) -> list[str]:
    """The header of a CSV file (empty when it is JSON or Parquet)."""
    if looks_json(source) or source.is_parquet():
        return []
    return csv_rows(source)[0]
