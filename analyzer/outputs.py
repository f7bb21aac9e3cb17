"""The one place output formats are dispatched.

A command builds a `Result` (columns, rows, and optionally a JSON document, an HTML template with
its context, or a ready terminal text) and hands it to `emit`, which picks the renderer from
RENDERERS by the `--format` name and writes to stdout or the `-o` file. Adding a format is one
`Renderer` entry here (and its name in the `--format` choices of the commands that offer it).

`-o FILE` without `--format` takes the format from the file's extension (`resolve_format`); a
`--format` that contradicts the extension is a usage error.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, TextIO

from analyzer.errors import SpendError, UsageError


@dataclass
class Result:
    """What a command shows, independent of the format.

    `rows` may be a one-pass iterator (large `sql` results are streamed). `document` is the JSON
    form (default: one object per row); `template` + `context` the HTML form (None: no HTML);
    `text` a ready terminal text used by the table format instead of a table (`status`); `html`
    a ready page instead of the template."""

    columns: Sequence[str]
    rows: Iterable[Sequence[Any]] = ()
    document: Any = None
    template: str | None = None
    context: dict = field(default_factory=dict)
    text: str | None = None
    html: str | None = None
    currency: str = "USD"
    dimensions: Sequence[str] = ()  # columns holding names, where a missing value shows as (none)
    # Provenance (analyzer/provenance.py): written beside a `-o FILE.csv` as FILE.meta.json (JSON
    # documents and HTML pages carry it themselves).
    meta: dict | None = None


@dataclass(frozen=True)
class Renderer:
    name: str
    write: Callable[[Result, TextIO], None]
    # Extensions this format may be written to; `-o` infers the first renderer listing the extension.
    extensions: tuple[str, ...] = ()


def _table(result: Result, out: TextIO) -> None:
    from analyzer import render

    if result.text is not None:
        out.write(render.visible_text(result.text))
    else:
        out.write(render.to_table(result.columns, result.rows, result.currency, result.dimensions))


def _csv(result: Result, out: TextIO) -> None:
    from analyzer import render

    # CSV keeps names as they are, but not on a terminal: there control characters are shown
    render.write_csv(result.columns, result.rows, out, terminal=getattr(out, "terminal", False))


def _json(result: Result, out: TextIO) -> None:
    from analyzer import render

    if result.document is not None:
        out.write(render.to_json(result.document))
    else:
        render.write_json_records(result.columns, result.rows, out)


def _html(result: Result, out: TextIO) -> None:
    from analyzer import render

    if result.html is not None:
        out.write(result.html)
    elif result.template is None:
        raise UsageError("this command has no HTML output")
    else:
        out.write(render.render_template(result.template, **result.context))


def _focus(result: Result, out: TextIO) -> None:
    """FOCUS v1.2 charge rows as CSV (the export is built by the report; Parquet is written there)."""
    from analyzer.focus import focus_csv

    if "focus_export" not in result.context:
        raise UsageError("this command has no FOCUS output")
    out.write(focus_csv(result.context["focus_export"]))


RENDERERS: dict[str, Renderer] = {r.name: r for r in [
    Renderer("table", _table),
    Renderer("csv", _csv, (".csv",)),
    Renderer("json", _json, (".json",)),
    Renderer("html", _html, (".html", ".htm")),
    # FOCUS: CSV text when -o ends in .csv; a .parquet file is written by the report itself
    Renderer("focus", _focus, (".parquet", ".csv")),
]}


def format_for_extension(path: str | os.PathLike) -> str | None:
    """The format `-o FILE` implies by its extension (None when the extension names none)."""
    suffix = Path(path).suffix.lower()
    for renderer in RENDERERS.values():
        if suffix in renderer.extensions:
            return renderer.name
    return None


def resolve_format(fmt: str | None, output: str | None, offered: Sequence[str], default: str = "table") -> str:
    """The format to write: `--format`, else the `-o` extension's, else the command's default.

    A `--format` whose renderer does not write the `-o` extension contradicts it (usage error); so
    does an extension whose format this command does not offer."""
    if fmt is not None and fmt not in offered:
        raise UsageError(f"--format {fmt!r}: one of {', '.join(offered)}")
    implied = format_for_extension(output) if output else None
    if fmt is None:
        if implied is None:
            return default
        if implied not in offered:
            raise UsageError(f"-o {output}: the extension means {implied}, which this command does not write "
                             f"(formats: {', '.join(offered)})")
        return implied
    suffix = Path(output).suffix.lower() if output else ""
    if implied is not None and suffix not in RENDERERS[fmt].extensions:
        raise UsageError(f"--format {fmt} contradicts -o {output} (a {implied} file name)")
    return fmt


class _Echo:
    """stdout through click.echo (so tests and odd terminals get the same bytes), in chunks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        try:
            self.terminal = sys.stdout.isatty()
        except (AttributeError, ValueError):
            self.terminal = False

    def write(self, text: str) -> int:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 1 << 16:
            self.flush()
        return len(text)

    def flush(self) -> None:
        import click

        if self.parts:
            click.echo("".join(self.parts), nl=False)
        self.parts, self.size = [], 0


def write_text(text: str, output: str | None = None) -> None:
    """Text already rendered, to stdout or the file `output` (replaced only once complete)."""
    _deliver(lambda out: out.write(text), output)


def to_text(result: Result, fmt: str) -> str:
    """The rendered text (for a caller that sends it elsewhere, e.g. in an e-mail)."""
    import io

    if fmt not in RENDERERS:
        raise UsageError(f"--format {fmt!r}: one of {', '.join(RENDERERS)}")
    out = io.StringIO()
    RENDERERS[fmt].write(result, out)
    return out.getvalue()


def emit(result: Result, fmt: str, output: str | None = None) -> None:
    """Render `result` as `fmt` to stdout, or to the file `output` (replaced only once complete,
    so a failure never leaves half a report where the last good one was)."""
    renderer = RENDERERS[fmt]
    _deliver(lambda out: renderer.write(result, out), output)
    if output and result.meta is not None and Path(output).suffix.lower() == ".csv":
        from analyzer.provenance import write_sidecar

        write_sidecar(result.meta, output)


def _deliver(write: Callable[[TextIO], None], output: str | None) -> None:
    if not output:
        out = _Echo()
        write(out)
        out.flush()
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(partial, "w", encoding="utf-8", newline="") as out:
            write(out)
        os.replace(partial, target)
    except OSError as exc:
        raise SpendError(f"cannot write {output}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
