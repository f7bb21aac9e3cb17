"""Claude Code transcripts: the local session logs `~/.claude/projects/<project>/<session>.jsonl`
(the files ccusage reads). One JSON object a line: user, assistant, summary and other entries;
only assistant entries carry a request's usage (`message: {id, model, usage}`, Anthropic token
conventions). Claude Code writes the same message several times while it streams: it counts once,
with its last usage. Other entries are skipped, not rejects."""

from __future__ import annotations

from analyzer.readers import Reader, Sample, mostly


def is_transcript_line(record: dict) -> bool:
    """Any Claude Code transcript entry: a session's line (sessionId with uuid or message), or a
    summary entry (which carries no sessionId)."""
    if record.get("type") == "summary" and "leafUuid" in record:
        return True
    return "sessionId" in record and "type" in record and ("uuid" in record or "message" in record)


def detect(sample: Sample) -> bool:
    return mostly(sample, is_transcript_line)


READER = Reader(
    name="claude-code",
    description="Claude Code session transcripts (~/.claude/projects/*/*.jsonl); costUSD kept in attributes",
    detect=detect,
    query="normalise_claude_code",
    layouts=("lines",),
    provider="anthropic",
    attribution={"project": ("$.cwd", "$.project_folder")},
)
