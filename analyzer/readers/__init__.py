"""Readers: one module per source shape, registered in READERS (SPEC "Token fields").

A reader is data, not code on the hot path: `detect(sample)` looks at the first records of a
file, and its named query in `queries/readers/` turns the staged raw records
(`staged_records(source_line, raw)`) into the canonical columns, in DuckDB. Adding a format
touches one new module, one new query file and one line in READERS.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analyzer.errors import BadInput

SAMPLE_BYTES = 256 * 1024
SAMPLE_RECORDS = 50


@dataclass
class Sample:
    """The head of a file, as detection sees it."""

    name: str
    text: str
    records: list[Any] = field(default_factory=list)  # parsed JSON lines (None for a line that is not JSON)

    @property
    def objects(self) -> list[dict]:
        return [r for r in self.records if isinstance(r, dict)]


@dataclass(frozen=True)
class Reader:
    name: str
    description: str
    detect: Callable[[Sample], bool]
    query: str  # named query in queries/readers/
    layout: str = "lines"  # lines: one JSON record per line
    mode: str = "serverless"
    provider: str | None = None


def open_binary(path: Path):
    """A binary stream over a plain or gzipped file."""
    raw = open(path, "rb")
    head = raw.read(2)
    raw.seek(0)
    return gzip.GzipFile(fileobj=raw) if head == b"\x1f\x8b" else raw


def open_text(path: Path):
    """A text stream over a plain or gzipped file (undecodable bytes replaced)."""
    return io.TextIOWrapper(open_binary(path), encoding="utf-8", errors="replace")


def read_sample(path: Path) -> Sample:
    """Read the first records of a file for detection (never the whole file)."""
    try:
        with open_text(path) as stream:
            text = stream.read(SAMPLE_BYTES)
    except (OSError, EOFError) as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    lines = text.splitlines()
    if len(text) == SAMPLE_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut by the sample size
    records: list[Any] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            records.append(None)
        if len(records) >= SAMPLE_RECORDS:
            break
    return Sample(name=path.name, text=text, records=records)


def _registry() -> list[Reader]:
    from analyzer.readers import openai_chat

    return [openai_chat.READER]


READERS: list[Reader] = _registry()


def reader_named(name: str) -> Reader:
    for reader in READERS:
        if reader.name == name:
            return reader
    raise BadInput(f"unknown format {name!r}; known formats: {', '.join(r.name for r in READERS)}")


def detect_reader(sample: Sample, path: Path) -> Reader:
    """The first registered reader whose detection accepts the sample, else one clear error."""
    for reader in READERS:
        if reader.detect(sample):
            return reader
    tried = ", ".join(r.name for r in READERS)
    raise BadInput(f"{path}: format not recognised (tried {tried}); pass --format NAME")
