"""`llm-spend formats`: the input formats ingest knows."""

from __future__ import annotations

import click


@click.command()
def formats() -> None:
    """List the input formats `ingest --format` accepts.

    Example: llm-spend formats   (then: llm-spend ingest --format openai-batch batch_output.jsonl)
    """
    from analyzer.readers import READERS

    for reader in READERS:
        click.echo(f"{reader.name:<20} {reader.description}")
