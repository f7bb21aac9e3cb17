"""Files: how llm-spend opens and samples an input file, before any reader is chosen.

Plain or gzipped bytes (`open_binary`, `decompressed_chunks`, `read_head`), and the sample that
detection looks at (`read_sample` -> `Sample`): the first records of a file, and its layout
(`Sample.kind`), which decides how staging.py turns the file into records: `lines` (one JSON
value per line), `document` (one JSON document: an object, an array, or a page whose `data`
array holds the records), `sse` (server-sent events: the JSON of each event's `data:` lines),
`csv` (each row as a JSON object of strings) or `parquet` (each row as a JSON object).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from analyzer.errors import BadInput

SAMPLE_BYTES = 256 * 1024
SAMPLE_RECORDS = 50
LAYOUTS = ("lines", "document", "sse", "csv", "parquet")
SSE_FIELDS = ("data:", "event:", "id:", "retry:", ":")
PARQUET_MAGIC = b"PAR1"


@dataclass
class Sample:
    """The head of a file, as detection sees it."""

    name: str
    text: str
    records: list[Any] = field(default_factory=list)  # parsed JSON records (None for one that is not JSON)
    kind: str = "lines"  # one of LAYOUTS
    columns: list[str] = field(default_factory=list)  # header of a CSV or Parquet file
    delimiter: str = ","  # of a CSV file

    @property
    def objects(self) -> list[dict]:
        return [r for r in self.records if isinstance(r, dict)]

    @property
    def streamed(self) -> bool:
        """True for a stream capture: SSE, or chunk objects (`chat.completion.chunk`)."""
        return self.kind == "sse" or any(
            str(o.get("object", "")).endswith(".chunk") or o.get("type") in ("message_start", "message_delta")
            for o in self.objects)


def open_binary(path: Path):
    """A binary stream over a plain or gzipped file."""
    raw = open(path, "rb")
    head = raw.read(2)
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw


class DamagedGzip(Exception):
    """A gzip file that ends early or holds bytes that do not decompress."""


# Byte order marks, longest first (UTF-32 LE starts like UTF-16 LE).
BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def text_encoding(head: bytes) -> str | None:
    """The encoding a byte order mark at the start of the (decompressed) text names, else None."""
    return next((name for bom, name in BOMS if head.startswith(bom)), None)


def decompressed_chunks(path: Path, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The file's text as UTF-8 bytes: decompressed when it is gzip (several members too), and
    when it starts with a byte order mark, without it and transcoded from UTF-16 / UTF-32 (a
    character that does not decode becomes U+FFFD). A damaged gzip yields everything that
    decompresses, then raises DamagedGzip: nothing readable is lost."""
    chunks = _raw_chunks(path, chunk_size)
    first = b""
    for chunk in chunks:  # enough bytes to see a mark (chunks may be tiny at a gzip member end)
        first += chunk
        if len(first) >= 4:
            break
    encoding = text_encoding(first)
    if encoding is None:
        if first:
            yield first
        yield from chunks
        return
    bom = next(b for b, name in BOMS if name == encoding)
    if encoding == "utf-8":
        yield first[len(bom):]
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    yield decoder.decode(first[len(bom):]).encode("utf-8")
    for chunk in chunks:
        yield decoder.decode(chunk).encode("utf-8")
    yield decoder.decode(b"", final=True).encode("utf-8")


def _raw_chunks(path: Path, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """The file's bytes, decompressed when it is gzip (several members too)."""
    with open(path, "rb") as handle:
        head = handle.read(2)
        handle.seek(0)
        if head != b"\x1f\x8b":
            while chunk := handle.read(chunk_size):
                yield chunk
            return
        inflater, fed = zlib.decompressobj(16 + zlib.MAX_WBITS), False
        while compressed := handle.read(chunk_size):
            while compressed:
                fed = True
                try:
                    data = inflater.decompress(compressed)
                except zlib.error as exc:
                    raise DamagedGzip(f"gzip data is damaged ({exc})") from None
                if data:
                    yield data
                if inflater.eof:  # the next member, if any, starts in the unused bytes
                    compressed = inflater.unused_data
                    inflater, fed = zlib.decompressobj(16 + zlib.MAX_WBITS), False
                else:
                    compressed = b""
        if fed and not inflater.eof:
            raise DamagedGzip("gzip data ends early (the file is truncated)")


def read_head(path: Path, size: int = SAMPLE_BYTES) -> tuple[bytes, bool]:
    """Up to `size` decompressed bytes of a file, and whether that is the whole file. A damaged
    gzip yields what could be decompressed (staging reports the damage as a reject)."""
    chunks: list[bytes] = []
    got = 0
    complete = True
    try:
        for chunk in decompressed_chunks(path, 64 * 1024):
            chunks.append(chunk)
            got += len(chunk)
            if got >= size:
                complete = False
                break
    except DamagedGzip:
        pass
    return b"".join(chunks)[:size], complete


def _after_first_line(path: Path, search: int = 64 << 20) -> tuple[bytes, bool] | None:
    """Up to SAMPLE_BYTES of the text after the first line end, and whether that is the rest of
    the file; None when no line end comes within `search` bytes (or nothing follows it)."""
    seen, chunks, got = 0, [], 0
    try:
        for chunk in decompressed_chunks(path, 1 << 20):
            if not chunks and not got:
                cut = chunk.find(b"\n")
                if cut < 0:
                    seen += len(chunk)
                    if seen > search:
                        return None
                    continue
                chunk = chunk[cut + 1:]
                got = -1  # the line end is found (a chunk may follow that is empty)
            chunks.append(chunk)
            if sum(map(len, chunks)) >= SAMPLE_BYTES:
                return b"".join(chunks)[:SAMPLE_BYTES], False
    except DamagedGzip:
        pass
    rest = b"".join(chunks)
    return (rest, True) if rest.strip() else None


def read_sample(path: Path) -> Sample:
    """Read the first records of a file for detection (never the whole file)."""
    try:
        head, complete = read_head(path)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    if head.startswith(PARQUET_MAGIC):
        return _parquet_sample(path)
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if not complete and len(lines) == 1 and (rest := _after_first_line(path)) is not None:
        # A first line longer than the sample (JSON Lines with a huge record): detect from the
        # lines after it. Without a line end soon, the file is one long (minified) document.
        text, complete = rest[0].decode("utf-8", errors="replace"), rest[1]
        lines = text.splitlines()
    if not complete and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the sample size
    lines = [line for line in lines if line.strip()]
    sample = Sample(name=path.name, text=text)
    if not lines:
        return sample
    first = lines[0].strip()
    if first.startswith(SSE_FIELDS):
        sample.kind = "sse"
        sample.records = _sse_records(lines)
        return sample
    parsed = [_loads(line) for line in lines[:SAMPLE_RECORDS]]
    head_value = parsed[0]
    objects = sum(isinstance(p, dict) for p in parsed[1:])
    # A first line that starts like JSON but is not (a document over several lines, a document
    # cut short, one line longer than the sample) is a document unless most other lines are
    # objects (JSON Lines whose first line is damaged): never a CSV header.
    if isinstance(head_value, list) or _is_wrapper(head_value) or (
            head_value is None and first[0] in "{[" and (len(parsed) == 1 or objects * 2 < len(parsed) - 1)):
        sample.kind = "document"
        sample.records = _document_records(text, complete)
    elif head_value is None and not objects and _looks_like_csv(lines):
        sample.kind = "csv"
        sample.delimiter = _csv_delimiter(lines[0])
        rows = list(csv.reader(io.StringIO("\n".join(lines[:SAMPLE_RECORDS + 1])), delimiter=sample.delimiter))
        sample.columns = rows[0]
        sample.records = [dict(zip(rows[0], row)) for row in rows[1:] if len(row) == len(rows[0])]
    else:
        sample.records = parsed
    return sample


def _loads(text: str) -> Any:
    """The JSON value of a text, else None (also for JSON nested too deep for Python to decode)."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _is_wrapper(value: Any) -> bool:
    """A page or list envelope whose `data` array holds the records (Usage API, Langfuse, Helicone)."""
    return isinstance(value, dict) and isinstance(value.get("data"), list) and "usage" not in value


def unwrap(value: Any) -> list[Any]:
    """The records of a JSON document: an array's elements, a page's `data`, else the value itself."""
    if isinstance(value, list):
        return value
    if _is_wrapper(value):
        return value["data"]
    return [value]


def _document_records(text: str, complete: bool) -> list[Any]:
    value = _loads(text) if complete else None
    if value is not None:
        return unwrap(value)[:SAMPLE_RECORDS]
    lines = [_loads(line) for line in text.splitlines()[:SAMPLE_RECORDS] if line.strip()]
    if lines and lines[0] is not None:  # JSON Lines of pages or arrays: staging reads them per line
        return [record for line in lines if line is not None for record in unwrap(line)][:SAMPLE_RECORDS]
    # A large array, or a large page's `data` array: decode its first elements one by one.
    decoder = json.JSONDecoder()
    body = text.lstrip()
    records: list[Any] = []
    if body.startswith("["):
        position = 1
    elif body.startswith("{") and (page := re.search(r'"data"\s*:\s*\[', body)):
        position = page.end()
    else:
        return [None]
    while len(records) < SAMPLE_RECORDS:
        while position < len(body) and body[position] in " \t\r\n,":
            position += 1
        try:
            value, position = decoder.raw_decode(body, position)
        except (ValueError, RecursionError):
            break
        records.append(value)
    return records


def _sse_records(lines: list[str]) -> list[Any]:
    records: list[Any] = []
    for line in lines:
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload and payload != "[DONE]":
                records.append(_loads(payload))
        if len(records) >= SAMPLE_RECORDS:
            break
    return records


def _csv_delimiter(header: str) -> str:
    """Comma unless the header has none and has tabs, semicolons or pipes instead."""
    if "," in header:
        return ","
    return next((d for d in ("\t", ";", "|") if d in header), ",")


def _looks_like_csv(lines: list[str]) -> bool:
    """A header of at least two non-blank names in printable text (not JSON, not binary), and
    rows that parse as CSV."""
    header = lines[0].strip()
    if header[0] in "{[" or not header.replace("\t", "").isprintable() or "\ufffd" in header:
        return False
    try:
        rows = list(csv.reader(io.StringIO("\n".join(lines[:5])), delimiter=_csv_delimiter(lines[0])))
    except csv.Error:
        return False
    return bool(rows) and len(rows[0]) >= 2 and all(cell.strip() for cell in rows[0])


def _parquet_sample(path: Path) -> Sample:
    import pyarrow.parquet as pq

    sample = Sample(name=path.name, text="", kind="parquet")
    try:
        parquet = pq.ParquetFile(path)
        sample.columns = parquet.schema_arrow.names
        batch = next(parquet.iter_batches(batch_size=SAMPLE_RECORDS), None)
        sample.records = batch.to_pylist() if batch is not None else []
    except Exception:  # noqa: BLE001 - a damaged file is reported by staging, not here
        pass
    return sample
