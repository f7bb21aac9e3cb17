"""Provenance: every report says which store, which rate and capacity versions and which data time
range it was made from: `meta` in JSON, a footer in HTML, FILE.meta.json beside `-o FILE.csv`."""

from __future__ import annotations

import hashlib
import json

from tests.helpers import chat_record, write_card, write_jsonl

SEPT = 1789041600  # 2026-09-10 12:00:00 UTC
CAPACITY_HEADER = "name,kind,models,month,monthly_cost,gpus,gpu_hours,gpu_hour_rate,capacity_tokens\n"


def store(spend, tmp_path):
    card = write_card(tmp_path / "card.csv", "m,,2,10,,,,,")
    spend.ok("rates", "load", card)
    capacity = tmp_path / "capacity.csv"
    capacity.write_text(CAPACITY_HEADER + "edge,dedicated,llama,2026-09,100,,,,\n", encoding="utf-8")
    spend.ok("capacity", "load", capacity)
    spend.ok("ingest", write_jsonl(tmp_path / "logs.jsonl", [
        chat_record("a", created=SEPT), chat_record("b", created=SEPT + 86400 * 5 + 61)]))
    return card, capacity


def expected_meta(spend, card, capacity, closed=()):
    return {
        "store": str(spend.db.resolve()),
        "rates": {"version": 1, "source": str(card.resolve()), "sha256": hashlib.sha256(card.read_bytes()).hexdigest(),
                  "rows": 1},
        "capacity": {"version": 1, "source": str(capacity.resolve()),
                     "sha256": hashlib.sha256(capacity.read_bytes()).hexdigest(), "rows": 1},
        "closed_months": list(closed),
        "data": {"first_ts": "2026-09-10T12:00:00+00:00", "last_ts": "2026-09-15T12:01:01+00:00", "rows": 2},
    }


def without_times(meta: dict) -> dict:
    """The meta object without the load times (checked apart: they are now)."""
    out = json.loads(json.dumps(meta))
    for kind in ("rates", "capacity"):
        assert out[kind].pop("loaded_at").startswith("20")
    for close in out["closed_months"]:
        assert close.pop("closed_at").startswith("20")
    return out


def test_json_report_has_a_meta_object(spend, tmp_path):
    card, capacity = store(spend, tmp_path)
    document = json.loads(spend.ok("report", "--format", "json").stdout)
    assert without_times(document["meta"]) == expected_meta(spend, card, capacity)
    # the data range is the report's own
    day = json.loads(spend.ok("report", "--since", "2026-09-15", "--format", "json").stdout)
    assert day["meta"]["data"] == {"first_ts": "2026-09-15T12:01:01+00:00", "last_ts": "2026-09-15T12:01:01+00:00",
                                   "rows": 1}


def test_csv_report_written_to_a_file_has_a_sidecar(spend, tmp_path):
    card, capacity = store(spend, tmp_path)
    spend.ok("close", "2026-09")
    target = tmp_path / "out" / "spend.csv"
    target.parent.mkdir()
    spend.ok("report", "--by", "model", "-o", target)
    assert target.read_text().splitlines()[0].startswith("period,model,")  # the CSV itself is plain
    sidecar = json.loads((tmp_path / "out" / "spend.meta.json").read_text())
    assert sidecar["file"] == "spend.csv"
    assert without_times(sidecar["meta"]) == expected_meta(spend, card, capacity, closed=[
        {"month": "2026-09", "rates_version": 1, "capacity_version": 1, "through_run_id": 1}])
    assert sorted(p.name for p in target.parent.iterdir()) == ["spend.csv", "spend.meta.json"]
    # CSV on stdout: no file to put beside it
    assert not list(tmp_path.glob("*.meta.json"))


def test_html_report_has_a_provenance_footer(spend, tmp_path):
    card, capacity = store(spend, tmp_path)
    html = spend.ok("report", "--format", "html").stdout
    footer = html.split("<footer>", 1)[1].split("</footer>", 1)[0]
    sha = hashlib.sha256(card.read_bytes()).hexdigest()[:12]
    assert f"Made from the store <code>{spend.db.resolve()}</code>" in footer
    assert f"rates version 1 (<code>{card.resolve()}</code>, SHA-256 {sha}, loaded 20" in footer
    assert f"capacity version 1 (<code>{capacity.resolve()}</code>" in footer
    assert "usage from 2026-09-10 12:00:00 to 2026-09-15 12:01:01 UTC (2 rows)" in footer


def test_reprice_focus_statements_and_reconcile_carry_it_too(spend, tmp_path):
    card, capacity = store(spend, tmp_path)
    meta = expected_meta(spend, card, capacity)
    reprice = json.loads(spend.ok("report", "--reprice", "--format", "json").stdout)
    assert without_times(reprice["meta"]) == meta
    assert 'id="provenance"' in spend.ok("report", "--reprice", "--format", "html").stdout
    spend.ok("report", "--format", "focus", "-o", tmp_path / "focus.csv")
    assert without_times(json.loads((tmp_path / "focus.meta.json").read_text())["meta"]) == meta
    spend.ok("report", "--format", "focus", "-o", tmp_path / "focus.parquet")
    assert without_times(json.loads((tmp_path / "focus.meta.json").read_text())["meta"]) == meta
    bill = tmp_path / "bill.csv"
    bill.write_text("date,model,amount\n2026-09-10,m,0.003\n2026-09-15,m,0.003\n", encoding="utf-8")
    reconciled = json.loads(spend.ok("reconcile", "--bill", bill, "--format", "json").stdout)
    assert without_times(reconciled["meta"]) == meta
    spend.ok("reconcile", "--bill", bill, "-o", tmp_path / "reconciled.csv")
    assert without_times(json.loads((tmp_path / "reconciled.meta.json").read_text())["meta"]) == meta


def test_per_tenant_statements_have_a_footer_and_a_sidecar(spend, tmp_path):
    spend.ok("rates", "load", write_card(tmp_path / "card.csv", "m,,2,10,,,,,"))
    spend.ok("ingest", write_jsonl(tmp_path / "logs.jsonl", [
        chat_record("a", created=SEPT, metadata={"tenant": "acme"})]))
    spend.ok("report", "--per-tenant", "--month", "2026-09", "-o", tmp_path / "statements")
    folder = tmp_path / "statements"
    assert sorted(p.name for p in folder.iterdir()) == ["2026-09_acme.csv", "2026-09_acme.html",
                                                        "2026-09_acme.meta.json"]
    sidecar = json.loads((folder / "2026-09_acme.meta.json").read_text())
    assert sidecar["file"] == "2026-09_acme.csv"
    assert sidecar["meta"]["data"] == {"first_ts": "2026-09-10T12:00:00+00:00", "last_ts": "2026-09-10T12:00:00+00:00",
                                       "rows": 1}
    assert 'id="provenance"' in (folder / "2026-09_acme.html").read_text()
