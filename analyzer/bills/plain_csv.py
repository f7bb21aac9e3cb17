"""A plain CSV bill: date,model,amount and optionally project, tenant, mode, currency."""

from __future__ import annotations

from datetime import date

from analyzer.bills.parsing import (
    Bill,
    BillFormat,
    BillLine,
    BillSource,
    amount_of,
    bill_keys,
    check_mode,
    csv_header,
    csv_rows,
    currency_of,
    text_of,
)

PLAIN_REQUIRED = ("date", "model", "amount")
PLAIN_OPTIONAL = ("project", "tenant", "mode", "currency")


def read_plain_csv(source: BillSource) -> Bill:
    header, rows = csv_rows(source)
    names = [h.lower() for h in header]
    missing = [c for c in PLAIN_REQUIRED if c not in names]
    if missing:
        raise source.fail("line 1", f"the header must have {','.join(PLAIN_REQUIRED)} (no {', '.join(missing)})")
    for name in set(names):
        if names.count(name) > 1 and name in PLAIN_REQUIRED + PLAIN_OPTIONAL:
            raise source.fail("line 1", f"column {name} appears twice")
    lines: list[BillLine] = []
    for where, raw in rows:
        row = {k.lower(): v for k, v in raw.items()}
        text = (row.get("date") or "").strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise source.fail(where, f"date {text[:40]!r} is not YYYY-MM-DD") from None
        if not 2000 <= day.year <= 2099:
            raise source.fail(where, f"date {text} is outside 2000-2099")
        model = text_of(row.get("model"))
        if model is None:
            raise source.fail(where, "model is empty")
        lines.append(BillLine(
            day=day, amount=amount_of(source, where, row.get("amount"), "amount"),
            currency=currency_of(source, where, row.get("currency")), where=where, model=model,
            project=text_of(row.get("project")), tenant=text_of(row.get("tenant")),
            mode=check_mode(source, where, row.get("mode"))))
    present = {"model", *(c for c in ("project", "tenant", "mode") if c in names)}
    return Bill(source.path, "csv", lines, bill_keys(lines, present), source.sha256)




FORMAT = BillFormat("csv", "plain CSV: date,model,amount[,project,tenant,mode,currency]",
                    lambda source: all(c in [h.lower() for h in csv_header(source)] for c in PLAIN_REQUIRED),
                    read_plain_csv)
