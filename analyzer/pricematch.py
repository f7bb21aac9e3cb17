"""genai-prices match rules as rate-card model names and glob patterns (README "Rate card":
`model` may be a glob). A rule that has no exact glob (a regex with classes a glob cannot state,
an `and` of clauses) is returned as skipped text, so the import can say what it left out.
"""

from __future__ import annotations

import re

_REGEX_TOKEN = re.compile(r"\\d\{(\d+)\}|\\d|\\(.)|\[([^\]\\^][^\]\\]*)\]|(.)", re.S)


def match_globs(clause) -> tuple[list[str], list[str]]:
    """The card names / glob patterns a genai-prices match rule is, and the clauses that have none."""
    from genai_prices import types as t

    if isinstance(clause, t.ClauseOr):
        names, skipped = [], []
        for part in clause.or_:
            more, missed = match_globs(part)
            names += more
            skipped += missed
        return names, skipped
    if isinstance(clause, t.ClauseEquals):
        glob = escape_glob(clause.equals)
    elif isinstance(clause, t.ClauseStartsWith):
        glob = escape_glob(clause.starts_with) + "*"
    elif isinstance(clause, t.ClauseEndsWith):
        glob = "*" + escape_glob(clause.ends_with)
    elif isinstance(clause, t.ClauseContains):
        glob = "*" + escape_glob(clause.contains) + "*"
    elif isinstance(clause, t.ClauseRegex):
        glob = regex_glob(clause.regex)
    else:
        glob = None
    if glob is None or glob.count("[") != glob.count("]"):
        return [], [_clause_text(clause)]
    return [glob], []


def _clause_text(clause) -> str:
    from genai_prices import types as t

    if isinstance(clause, t.ClauseRegex):
        return f"regex {clause.regex!r}"
    if isinstance(clause, t.ClauseAnd):
        return "and(" + ", ".join(_clause_text(c) for c in clause.and_) + ")"
    key, value = next(iter(vars(clause).items()))
    return f"{key} {value!r}"


def escape_glob(text: str) -> str:
    """Literal text as a glob: `*`, `?` and `[` become one-character classes."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def regex_glob(regex: str) -> str | None:
    """A regex made of literals, `\\d`, `\\d{n}` and simple `[...]` classes as a glob, else None."""
    start = regex.startswith("^")
    body = regex[1:] if start else regex
    end = body.endswith("$") and not body.endswith("\\$")
    body = body[:-1] if end else body
    out, position = [], 0
    for match in _REGEX_TOKEN.finditer(body):
        if match.start() != position:
            return None
        position = match.end()
        count, escaped, klass, char = match.group(1), match.group(2), match.group(3), match.group(4)
        if count:
            out.append("[0-9]" * int(count))
        elif match.group(0) == "\\d":
            out.append("[0-9]")
        elif escaped is not None:
            if escaped.isalnum():
                return None  # \w, \s, \b ...
            out.append(escape_glob(escaped))
        elif klass is not None:
            out.append(f"[{klass}]")
        elif char in ".^$|()*+?{}[]\\":
            return None
        else:
            out.append(char)
    return ("" if start else "*") + "".join(out) + ("" if end else "*")


def is_glob(name: str) -> bool:
    """Whether a card model name is a pattern (has `*`, `?` or `[`)."""
    return bool(re.search(r"[*?\[]", name))
