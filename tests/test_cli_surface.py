"""One CLI surface: every command has an example in its --help, every command that opens the store
takes --wait, and every flag the README names for a command exists in that command's --help."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from analyzer.cli import cli
from tests.helpers import REPO, chat_record, write_jsonl

README = REPO / "README.md"
NO_STORE = {("formats",), ("rates", "import")}  # commands that never open the store
GLOBAL_WITH_VALUE = {"--db", "--config"}
FLAG = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `group`, as the words a user types."""
    ctx = click.Context(group)
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, (*prefix, name)))
    return paths


def leaf(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    for name in path:
        command = command.get_command(click.Context(command), name)
    return command


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def help_flags(path: tuple[str, ...]) -> set[str]:
    """The flags listed in the Options part of `llm-spend PATH --help`."""
    options = help_text(path).split("\nOptions:\n", 1)[1].split("\nCommands:\n", 1)[0]
    return {m.group(1) for line in options.splitlines() if line.startswith("  ") for m in
            FLAG.finditer(line.split("  ", 2)[1] if line.startswith("  -") else "")}


@pytest.mark.parametrize("path", [(), *command_paths()], ids=lambda p: " ".join(p) or "llm-spend")
def test_every_help_has_an_example(path):
    assert "Example" in help_text(path), f"llm-spend {' '.join(path)} --help has no example"


@pytest.mark.parametrize("path", [p for p in command_paths() if not isinstance(leaf(p), click.Group)],
                         ids=" ".join)
def test_every_command_that_opens_the_store_takes_wait(path):
    assert ("--wait" in help_flags(path)) == (path not in NO_STORE)


def readme_mentions(text: str) -> list[tuple[tuple[str, ...], str, str]]:
    """(command path, flag, where) for every flag the README names for a command: in the command
    table (the row's command; a code span starting with another command's name is that command's)
    and in every `llm-spend ...` command line of a code block or code span."""
    commands = set(cli.list_commands(click.Context(cli)))
    found: list[tuple[tuple[str, ...], str, str]] = []

    def command_line(words: list[str], where: str) -> None:
        words = words[words.index("llm-spend") + 1:] if "llm-spend" in words else words
        path: list[str] = []
        it = iter(words)
        for word in it:
            if word.startswith("-") and word != "-":
                flag = word.split("=", 1)[0]
                if not path:
                    found.append(((), flag, where))
                    if flag in GLOBAL_WITH_VALUE and "=" not in word:
                        next(it, None)
                else:
                    found.append((tuple(path), flag, where))
            elif not path and word in commands:
                path.append(word)
            elif len(path) == 1 and isinstance(leaf(tuple(path)), click.Group) and re.fullmatch(r"[a-z][a-z-]*", word):
                path.append(word)
            elif not path:
                pytest.fail(f"README names an unknown command {word!r} ({where})")

    def spans(markdown: str) -> list[str]:
        return [s.replace("\\|", "|") for s in re.findall(r"`([^`]+)`", markdown)]

    in_block = False
    block_lines: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("```"):
            in_block = not in_block
            continue
        where = f"README.md line {number}"
        if in_block:
            block_lines.append(line.split(" #", 1)[0].rstrip())
            if block_lines[-1].endswith("\\"):
                block_lines[-1] = block_lines[-1][:-1]
                continue
            joined = " ".join(block_lines)
            block_lines = []
            words = shlex.split(joined, posix=True) if joined.strip() else []
            words = [Path(w).name if w.endswith("/llm-spend") else w for w in words]
            if "llm-spend" in words:
                command_line(words, where)
            continue
        row = re.match(r"\| `llm-spend ([^`]*)` \|(.*)\|\s*$", line)
        if row:
            head = shlex.split(row.group(1))
            command_line(["llm-spend", *head], where)
            path = tuple(w for w in head if re.fullmatch(r"[a-z][a-z-]*", w))
            for span in spans(row.group(2)):
                words = span.split()
                if words and words[0] in commands:
                    command_line(["llm-spend", *words], where)
                else:
                    found.extend((path, m.group(1), where) for m in FLAG.finditer(span))
            continue
        for span in spans(line):
            if span.startswith("llm-spend "):
                command_line(span.split(), where)
    return found


def drifted(text: str) -> list[str]:
    flags = {}
    problems = []
    for path, flag, where in readme_mentions(text):
        if path not in flags:
            flags[path] = help_flags(path)
        if flag not in flags[path]:
            problems.append(f"{where}: llm-spend {' '.join(path)} has no {flag}")
    return problems


def test_every_flag_the_readme_names_is_in_the_commands_help():
    text = README.read_text(encoding="utf-8")
    mentions = readme_mentions(text)
    # the parser sees the table and the examples (a README it could not read would pass vacuously)
    assert {("report", "--by"), ("rates", "load", "--default"), ("ingest", "--wait"), ("sql", "--format"),
            ("--db",)} <= {(*p, f) for p, f, _ in mentions}
    assert drifted(text) == []


def test_the_readme_check_catches_a_flag_that_drifted():
    text = README.read_text(encoding="utf-8")
    broken = text.replace("`--period month\\|week\\|day\\|total`", "`--periods month\\|week\\|day\\|total`", 1)
    assert broken != text
    assert any("llm-spend report has no --periods" in p for p in drifted(broken))
    assert any("has no --colour" in p for p in drifted(text + "\n```sh\nllm-spend sql --colour 'SELECT 1'\n```\n"))


HOLDER = "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('holding', flush=True); sys.stdin.readline()"


@pytest.mark.slow
@pytest.mark.parametrize("args", [
    ["report"], ["sql", "SELECT 1"], ["rates", "list"], ["rates", "unpriced"], ["status"],
    ["estimate", "--model", "m", "--input-tokens", "1", "--output-tokens", "1", "--requests", "1"],
], ids=" ".join)
def test_wait_while_another_process_holds_the_store(spend, tmp_path, args):
    spend.ok("ingest", write_jsonl(tmp_path / "a.jsonl", [chat_record("a")]))
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(spend.db)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "holding\n"
        result = spend(*args, "--wait", "0.2")
        assert result.exit_code == 75
        assert result.stderr.endswith("; still busy after waiting 0.2s\n") and result.stderr.count("\n") == 1
    finally:
        holder.stdin.close()
        holder.wait(timeout=60)
