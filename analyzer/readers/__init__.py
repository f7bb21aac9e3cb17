"""Readers: one module per source shape, registered in READERS (docs/tokens.md).

A reader is data, not code on the hot path: `detect(sample)` looks at the first records of a
file (a `Sample`, see analyzer/files.py, which also tells the file's layout), and its named query
in `queries/readers/` turns the staged raw records (`staged_records(source_line, raw)`) into the
canonical columns, in DuckDB. Adding a format touches one new module, one new query file and one
line in READERS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from analyzer.errors import BadInput
from analyzer.files import Sample

__all__ = ["READERS", "Reader", "Sample", "detect_reader", "has_keys", "mostly", "reader_named"]


@dataclass(frozen=True)
class Reader:
    """One source shape: how to recognise it and which named queries normalise it."""

    name: str
    description: str
    detect: Callable[[Sample], bool]
    query: str  # named query in queries/readers/
    layouts: tuple[str, ...] = ("lines", "document")  # layouts it reads; the first is used when forced
    mode: str = "serverless"
    provider: str | None = None
    stream_query: str | None = None  # used instead of `query` for stream captures (Sample.streamed)
    # Plain JSONL of this shape can be parsed by DuckDB's parallel read_json (analyzer/fastpath.py):
    # the named query of the columns to parse, and the query giving canonical rows from them.
    fast_query: str | None = None
    fast_columns: str | None = None
    # Default attribution paths for this shape, used for fields the config file does not set.
    attribution: dict[str, tuple[str, ...]] = field(default_factory=dict)
    params: Callable[[Any], dict] | None = None  # extra query parameters from the Config
    target: str = "usage"  # usage | billed_costs (not usage: stored for reconciliation)
    # The record's top-level `metadata` is the caller's tags (attribution, attributes); False
    # for a source that writes something else there (SGLang: engine info).
    metadata_tags: bool = True

    def query_params(self, config: Any) -> dict:
        """The parameters the reader's queries take besides attribution: its mode, provider and
        flags, and any extras it derives from the config."""
        extra = self.params(config) if self.params else {}
        return dict(default_mode=self.mode, provider=self.provider, metadata_tags=self.metadata_tags, **extra)

    def query_for(self, sample: Sample) -> str:
        return self.stream_query if self.stream_query and sample.streamed else self.query

    def layout_for(self, sample: Sample) -> str:
        return sample.kind if sample.kind in self.layouts else self.layouts[0]


def has_keys(record: Any, *keys: str) -> bool:
    return isinstance(record, dict) and all(k in record for k in keys)


def mostly(sample: Sample, predicate: Callable[[dict], bool]) -> bool:
    """At least half of the sample's objects (and at least one) match."""
    objects = sample.objects
    hits = sum(1 for o in objects if predicate(o))
    return hits >= 1 and hits * 2 >= len(objects)


def _registry() -> list[Reader]:
    from analyzer.readers import (
        anthropic,
        claude_code,
        gateway_envelope,
        generic_table,
        helicone,
        langfuse,
        litellm,
        openai_batch,
        openai_chat,
        openai_costs,
        openai_responses,
        openai_usage,
        sglang,
        together,
        together_batch,
        vllm,
    )

    # Order matters: specific shapes before generic ones (the first that accepts a sample wins).
    return [
        openai_batch.READER,
        together_batch.READER,
        openai_usage.READER,
        openai_costs.READER,
        gateway_envelope.READER,
        helicone.READER,
        langfuse.READER,
        litellm.READER,
        claude_code.READER,
        anthropic.READER,
        openai_responses.READER,
        sglang.READER,
        vllm.READER,
        together.READER,
        openai_chat.READER,
        generic_table.CSV_READER,
        generic_table.PARQUET_READER,
    ]


READERS: list[Reader] = _registry()


def reader_named(name: str) -> Reader:
    for reader in READERS:
        if reader.name == name:
            return reader
    raise BadInput(f"unknown format {name!r}; known formats: {', '.join(r.name for r in READERS)}")


def detect_reader(sample: Sample, path: Path) -> Reader:
    """The first registered reader whose detection accepts the sample, else one clear error.
    An empty file holds no records: it is read (as nothing) by the plain JSON Lines reader, so a
    nightly export with nothing in it is not a failure."""
    if sample.kind != "parquet" and not sample.text.strip():
        return reader_named("openai-chat")
    for reader in READERS:
        if sample.kind in reader.layouts and reader.detect(sample):
            return reader
    tried = ", ".join(r.name for r in READERS)
    raise BadInput(f"{path}: format not recognised (tried {tried}); pass --format NAME")
