"""`compare` results as text: a table per workload with the one line naming the cheapest mode,
JSON (`{"workload": {...}, "modes": [...]}`, a list of them with --by) and CSV."""

from __future__ import annotations

from analyzer import render
from analyzer.compare import Comparison

MODE_COLUMNS = ("mode", "capacity", "monthly_cost", "effective_per_mtok", "capacity_tokens", "utilisation", "fits",
                "break_even_requests")


def comparisons_result(comparisons: list[Comparison], grouped: bool):
    """The output Result (analyzer/outputs.py): CSV rows, the JSON document, the table text."""
    from analyzer.outputs import Result

    data = [c.as_dict() for c in comparisons]
    columns, rows = _csv(comparisons)
    return Result(columns, rows, document=data if grouped else data[0],
                  text="\n".join(_table(c) for c in comparisons))


def _csv(comparisons: list[Comparison]) -> tuple[list[str], list[list]]:
    group_keys = list(dict.fromkeys(k for c in comparisons for k in c.workload.group))
    columns = ["month", *group_keys, "requests", "tokens", *MODE_COLUMNS]
    rows = []
    for c in comparisons:
        w = c.workload
        for m in c.modes:
            d = m.as_dict()
            rows.append([w.month, *(w.group.get(k) for k in group_keys), w.requests, w.tokens,
                         *(_csv_cell(d[name]) for name in MODE_COLUMNS)])
    return columns, rows


def _csv_cell(value):
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _table(comparison: Comparison) -> str:
    w = comparison.workload
    per = lambda total: render.exact(w.per_request(total)) if w.requests else "0"  # noqa: E731
    where = ", ".join(f"{k} {v}" for k, v in w.group.items())
    head = (f"workload{' (' + where + ')' if where else ''}{' ' + w.month if w.month else ''}: "
            f"{w.requests:,} requests a month, {_grouped(per(w.input_tokens))} input "
            f"({_grouped(per(w.cached_tokens))} cached) + {_grouped(per(w.output_tokens))} output tokens a request, "
            f"{w.tokens:,} tokens a month")
    rows = []
    for m in comparison.modes:
        rows.append((
            m.mode, m.capacity or "", m.monthly_cost,  # to_table shows money columns rounded
            "" if m.effective_per_mtok is None else render.money(m.effective_per_mtok),
            m.capacity_tokens, "" if m.utilisation is None else f"{m.utilisation:.1%}",
            "" if m.fits is None else ("yes" if m.fits else "NO"), m.break_even_requests,
        ))
    table = render.to_table(MODE_COLUMNS, rows)
    return f"{head}\n{table}{_verdict(comparison)}\n"


def _grouped(number: str) -> str:
    whole, _, fraction = number.partition(".")
    return f"{int(whole):,}" + (f".{fraction}" if fraction else "")


def _verdict(comparison: Comparison) -> str:
    """The one line: which mode is cheapest, and by how much against serverless (or, when
    serverless is cheapest, against the runner-up). Capacities the workload does not fit are out."""
    found = comparison.cheapest()
    if found is None:
        return "cheapest: none of the modes is priced"
    best, other = found
    name = best.mode + (f" ({best.capacity})" if best.capacity else "")
    line = f"cheapest: {name} at {render.money(best.monthly_cost)} a month"
    if other is None:
        return line
    other_name = other.mode + (f" ({other.capacity})" if other.capacity else "")
    saving = other.monthly_cost - best.monthly_cost
    if saving == 0:
        return f"{line}, the same as {other_name}"
    share = f" ({saving / other.monthly_cost:.1%})" if other.monthly_cost else ""
    return f"{line}, {render.money(saving)}{share} less than {other_name}"
