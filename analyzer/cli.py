"""The `llm-spend` command group: the shared options, the one-line error edge, and the list of
commands (each in its own module under `analyzer/commands/`, registered in COMMANDS).

A command is a thin skin that parses options, calls one library function, prints. Heavy imports
(duckdb, polars, pyarrow) happen inside the commands so `--help` starts fast.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

import click

from analyzer.errors import Interrupted, SpendError, UsageError
from analyzer.outputs import RENDERERS, resolve_format

FORMATS = ("table", "csv", "json", "html")


class Context:
    def __init__(self, db: str | None, config: str | None):
        from analyzer.config import load_config
        from analyzer.store import db_path

        self.config = load_config(config)
        self.db = db_path(db, self.config.db)
        # --lake / --engine / --spark-master of the command (lake_options), when it takes them.
        self.lake: str | None = None
        self.engine = "duckdb"
        self.spark_master: str | None = None

    def budgets(self) -> dict:
        """[budgets] of the config as {dimension: {name: Decimal}} (empty without one)."""
        section = self.config.sections.get("budgets")
        return {"tenant": dict(section.tenant), "feature": dict(section.feature)} if section else {}

    @contextlib.contextmanager
    def open(self, read_only: bool = False, wait: float = 0):
        """The store, read-only for readers; a config file given to a write command also sets
        the batch discount the pricing views read, so later reports price batch the same way."""
        from analyzer.store import open_store, sync_settings

        if self.lake is not None or self.engine != "duckdb":
            from analyzer.store import open_lake

            if not read_only:
                raise UsageError("this command writes the store: --lake and --engine are for reading a lake")
            with open_lake(self.lake, engine=self.engine, master=self.spark_master) as con:
                yield con
            return
        with open_store(self.db, read_only=read_only, wait=wait,
                        extra={"memory_limit": self.config.memory_limit}) as con:
            if not read_only and self.config.source is not None:
                sync_settings(con, {"batch_discount": str(self.config.batch_discount)})
            yield con


def output_options(formats: tuple[str, ...] = FORMATS, default: str = "table"):
    """--format and -o, shared by the commands that print results. The command receives the
    resolved format: --format, else the one -o FILE's extension names, else `default`."""
    def decorate(func):
        @functools.wraps(func)
        def resolved(*args, fmt: str | None, output: str | None, **kwargs):
            return func(*args, fmt=resolve_format(fmt, output, formats, default), output=output, **kwargs)

        resolved = click.option("-o", "--output", type=click.Path(dir_okay=False), metavar="FILE",
                                help="Write to FILE instead of stdout (its extension sets the format: "
                                     + ", ".join(ext for f in formats for ext in RENDERERS[f].extensions)
                                     + ").")(resolved)
        return click.option("--format", "fmt", type=click.Choice(formats), default=None,
                            help=f"Output format [default: {default}, or the -o FILE extension's].")(resolved)
    return decorate


def wait_option(func):
    return click.option("--wait", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
                        help="Seconds to keep retrying while another process holds the store.")(func)


def lake_options(engines: bool = True):
    """--lake DIR (read a Parquet lake, `llm-spend export --lake`, instead of the store) and, with
    `engines`, --engine duckdb|spark and --spark-master URL. They set the Context, whose `open`
    then gives the lake-backed connection: the command itself does not change."""
    def decorate(func):
        @functools.wraps(func)
        def configured(*args, lake: str | None, engine: str = "duckdb", spark_master: str | None = None, **kwargs):
            obj = click.get_current_context().obj  # the Context (find_object would miss it under python -m analyzer.cli)
            obj.lake, obj.engine, obj.spark_master = lake, engine, spark_master
            if spark_master and engine != "spark":
                raise UsageError("--spark-master is for --engine spark")
            return func(*args, **kwargs)

        options = [click.option("--lake", type=click.Path(file_okay=False), metavar="DIR",
                                help="Read the Parquet lake DIR (llm-spend export --lake) instead of the store.")]
        if engines:
            options += [
                click.option("--engine", type=click.Choice(("duckdb", "spark")), default="duckdb", show_default=True,
                             help="Run the queries on DuckDB, or on Apache Spark over --lake (the spark extra)."),
                click.option("--spark-master", metavar="URL",
                             help="Spark master for --engine spark (default local[2] or $LLM_SPEND_SPARK_MASTER)."),
            ]
        for option in reversed(options):
            configured = option(configured)
        return configured
    return decorate


def period_options(func):
    """--period, --month / --since / --until and --tenant, shared by report-like commands."""
    for option in reversed([
        click.option("--period", type=click.Choice(["month", "week", "day", "total"]), default="month", show_default=True),
        click.option("--month", metavar="YYYY-MM", help="One calendar month (UTC)."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First day included (UTC)."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last day included (UTC)."),
        click.option("--tenant", help="Only this tenant's usage."),
    ]):
        func = option(func)
    return func


# Every command (or group) by name: "module:attribute" under analyzer/commands/. Adding a command is
# one module there and one line here; modules are imported only when their command is looked up.
COMMANDS = {
    "ingest": "analyzer.commands.ingest:ingest",
    "rates": "analyzer.commands.rates:rates",
    "report": "analyzer.commands.report:report",
    "sql": "analyzer.commands.sql:sql",
    "estimate": "analyzer.commands.estimate:estimate",
    "whatif": "analyzer.commands.whatif:whatif",
    "status": "analyzer.commands.status:status",
    "check-budgets": "analyzer.commands.budgets:check_budgets",
    "formats": "analyzer.commands.formats:formats",
    "capacity": "analyzer.commands.capacity:capacity",
    "compare": "analyzer.commands.compare:compare",
    "email": "analyzer.commands.email:email",
    "reconcile": "analyzer.commands.reconcile:reconcile",
    "close": "analyzer.commands.close:close",
    "reopen": "analyzer.commands.close:reopen",
    "export": "analyzer.commands.export:export",
}


class SpendGroup(click.Group):
    """The top-level group: commands from COMMANDS; every error becomes one line on stderr and its
    exit code (docs/exit-codes.md)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            import importlib

            module, attribute = COMMANDS[name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        # Inside click's own handler, which would turn Ctrl-C into "Aborted!" and exit 1.
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted() from None

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            hint = f" (see {exc.ctx.command_path} --help)" if isinstance(exc, click.UsageError) and exc.ctx else ""
            fail(exc.format_message() + hint, exc.exit_code)
        except click.Abort:
            fail("aborted", 1)
        except SpendError as exc:
            fail(str(exc), exc.exit_code)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as exc:  # the last line of defence: one line, never a traceback
            if "duckdb" in sys.modules:  # Ctrl-C during a query, as DuckDB reports it
                from analyzer.store import is_interrupt

                if is_interrupt(exc):
                    fail("interrupted", 130)
            if os.environ.get("LLM_SPEND_DEBUG"):
                raise
            first = str(exc).splitlines()[0] if str(exc) else ""
            fail(f"{type(exc).__name__}: {first} (set LLM_SPEND_DEBUG=1 for details)", 1)
        sys.exit(result if isinstance(result, int) else 0)


def fail(message: str, code: int) -> None:
    """The one error line; control characters made visible (a message may quote a name or a path)."""
    from analyzer.render import visible

    click.echo(f"error: {visible(message)}", err=True)
    sys.exit(code)


@click.group(cls=SpendGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", metavar="PATH", help="Store file (default ./usage.duckdb or $LLM_SPEND_DB).")
@click.option("--config", metavar="FILE", help="TOML config file (or $LLM_SPEND_CONFIG).")
@click.version_option(package_name="llm-spend")
@click.pass_context
def cli(ctx: click.Context, db: str | None, config: str | None) -> None:
    """Exact spend reports from exported LLM API usage logs.

    \b
    Example:
      llm-spend rates load rates.csv
      llm-spend ingest /exports/
      llm-spend report --by tenant,feature --period month --format html -o spend.html
    """
    ctx.obj = Context(db, config)


def main() -> None:
    """Console-script entry point."""
    cli.main(prog_name="llm-spend")


if __name__ == "__main__":
    main()
