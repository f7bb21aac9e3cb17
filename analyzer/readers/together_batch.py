"""together.ai Batch output JSONL: OpenAI batch lines without the line `id`; errors as
`{"custom_id", "error": {"code", "message"}}`. Shape inferred from third-party clients only."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly
from analyzer.readers.openai_batch import is_batch_line


def detect(sample: Sample) -> bool:
    return mostly(sample, lambda o: is_batch_line(o) and "id" not in o)


READER = Reader(
    name="together-batch",
    description="together.ai Batch API output files, JSONL; mode batch",
    detect=detect,
    query="normalise_openai_batch",
    fast_query="normalise_openai_batch_fast",
    fast_columns="openai_batch_fast_columns",
    mode="batch",
    provider="together",
)
