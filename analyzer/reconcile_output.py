"""`reconcile` results in each format: JSON `{"bill": {...}, "rows": [...], "total": {...}}` with
decimal strings, CSV rows (exact), a terminal table with the verdict line, and an HTML page built
from the same partial the HTML report shows (templates/_reconciliation.html)."""

from __future__ import annotations

from analyzer import render
from analyzer.outputs import Result
from analyzer.reconcile import CANDIDATES, STATUS_CODES, Reconciliation

MONEY = ("computed", "billed", "difference")
CODE_TEXT = {**{c.code: c.description for c in CANDIDATES}, **STATUS_CODES}


def codes_text(codes: list[str]) -> str:
    """explained_by as one cell: codes that explain the row together joined by '+'."""
    return "+".join(codes)


def reconciliation_result(result: Reconciliation, meta: dict | None = None) -> Result:
    """The output Result (analyzer/outputs.py) for table, csv, json and html; `meta` is its
    provenance (analyzer/provenance.py: JSON `meta`, HTML footer, CSV sidecar)."""
    columns = result.columns
    rows = [[codes_text(r[c]) if c == "explained_by" else r[c] for c in columns] for r in result.rows]
    document = result.document() | ({"meta": meta} if meta is not None else {})
    return Result(columns, rows, document=document, text=table_text(result),
                  template="reconcile.html", context={"reconciliation": html_view(result), "meta": meta},
                  currency=result.currency, meta=meta)


def _money(value, currency: str) -> str:
    if value is None:
        return "unpriced"
    text = render.exact(value)
    return f"{text} {currency}" if currency != "USD" else ("-$" + text[1:] if text.startswith("-") else "$" + text)


def table_text(result: Reconciliation) -> str:
    keys = list(result.bill.keys)
    columns = ["date", *keys, "requests", "computed", "billed", "difference", "explained_by"]
    body = []
    for r in result.rows:
        body.append([str(r["date"]), *(render.label(r[k]) for k in keys), render.tokens(r["requests"]),
                     _money(r["computed"], result.currency), _money(r["billed"], result.currency),
                     "" if r["difference"] is None else _money(r["difference"], result.currency),
                     codes_text(r["explained_by"])])
    t = result.total
    body.append(["total", *("" for _ in keys), render.tokens(t["requests"]), _money(t["computed"], result.currency),
                 _money(t["billed"], result.currency),
                 "" if t["difference"] is None else _money(t["difference"], result.currency), ""])
    return render.align(columns, body) + verdict(result) + "\n"


def verdict(result: Reconciliation) -> str:
    t = result.total
    head = (f"bill {result.bill.path} ({result.bill.kind}), {result.first_day} to {result.last_day}: "
            f"billed {_money(t['billed'], result.currency)}")
    if t["difference"] is None:
        return (f"{head}, computed unknown ({t['unpriced_requests']:,} requests unpriced): "
                f"cannot be shown within the {render.exact(t['tolerance_pct'])}% tolerance")
    share = f" ({t['difference'] / t['billed']:+.2%} of billed)" if t["billed"] else ""
    within = "within" if t["within_tolerance"] else "OUTSIDE"
    return (f"{head}, computed {_money(t['computed'], result.currency)}, difference "
            f"{_money(t['difference'], result.currency)}{share}: {within} the {render.exact(t['tolerance_pct'])}% "
            f"tolerance; unexplained {_money(t['unexplained'], result.currency)}")


def html_view(result: Reconciliation) -> dict:
    """What templates/_reconciliation.html shows, from a fresh result (the report reads the stored one)."""
    return {"bill_file": str(result.bill.path), "bill_format": result.bill.kind, "first_day": result.first_day,
            "last_day": result.last_day, "key_columns": list(result.bill.keys), "currency": result.currency,
            "tolerance_pct": result.tolerance, "within_tolerance": result.within_tolerance,
            "rows": result.rows, "total": result.total, "reconciled_at": None, "codes": CODE_TEXT}


def stored_view(stored) -> dict:
    """templates/_reconciliation.html's view of a stored reconciliation (analyzer.reconcile)."""
    run = stored.run
    rows = [{"date": r["day"], **{k: r[k] for k in run["keys"]}, **{k: r[k] for k in (
        "requests", "unpriced_requests", "computed", "billed", "difference")}, "explained_by": list(r["explained_by"])}
        for r in stored.rows]
    return {"bill_file": run["bill_file"], "bill_format": run["bill_format"], "first_day": run["first_day"],
            "last_day": run["last_day"], "key_columns": list(run["keys"]), "currency": run["currency"],
            "tolerance_pct": run["tolerance_pct"], "within_tolerance": run["within_tolerance"], "rows": rows,
            "total": stored.total | {"within_tolerance": run["within_tolerance"]},
            "reconciled_at": run["reconciled_at"].strftime("%Y-%m-%d %H:%M UTC"), "codes": CODE_TEXT}
