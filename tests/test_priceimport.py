"""`rates import genai-prices` against the installed genai-prices package, and the bundled default
card it generates (scripts/make_default_rates.py)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import re
import sys
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from analyzer.pricematch import escape_glob, match_globs, regex_glob
from analyzer.rates import DEFAULT_CARD, read_card
from tests.helpers import REPO, write_jsonl

genai_prices = pytest.importorskip("genai_prices")


def card_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def imported(spend, *providers: str):
    args = [a for p in providers for a in ("--provider", p)]
    result = spend.ok("rates", "import", "genai-prices", *args, "--checked-on", "2026-12-02")
    return card_rows(result.stdout), result.stderr.splitlines()


def test_anthropic_import_has_the_published_rows_with_the_context_tier(spend):
    rows, notes = imported(spend, "anthropic")
    sonnet = [r for r in rows if r["model"] == "claude-sonnet-4-5*" and r["mode"] == "serverless"]
    assert [(r["input_tokens_above"], r["input_per_mtok"], r["output_per_mtok"], r["cached_input_per_mtok"],
             r["cache_write_per_mtok"], r["cache_write_1h_per_mtok"], r["web_search_per_k"]) for r in sonnet] == [
        ("", "3", "15", "0.3", "3.75", "6", "10"),
        ("200000", "6", "22.5", "0.6", "7.5", "12", "10"),
    ]
    assert {r["checked_on"] for r in rows} == {"2026-12-02"}
    assert sonnet[0]["source"] == f"genai-prices {genai_prices.__version__}: anthropic claude-sonnet-4-5"
    # starts_with 'claude-sonnet-4.5' is the pattern claude-sonnet-4.5*; a batch row from its start date
    assert any(r["model"] == "claude-sonnet-4.5*" for r in rows)
    batch = [r for r in rows if r["model"] == "claude-sonnet-4-5*" and r["mode"] == "batch"]
    assert [(r["input_tokens_above"], r["input_per_mtok"], r["valid_from"]) for r in batch] == [
        ("", "1.5", "2026-10-14"), ("200000", "3", "2026-10-14")]
    # a regex that is a glob: ^claude-sonnet-5-\d{8}$
    assert any(r["model"] == "claude-sonnet-5-" + "[0-9]" * 8 for r in rows)
    # a request option the usage does not record is named, one line per model and reason
    assert "not expressible: anthropic claude-opus-5: price variant speed=fast: usage records do not say it; " \
           "its prices are not imported" in notes
    assert re.fullmatch(r"\d+ rates for \d+ models from genai-prices [\d.]+; \d+ notes", notes[-1])


def test_imported_card_prices_as_genai_prices_does(spend, tmp_path):
    """The card genai-prices becomes, loaded and applied to real Anthropic responses (one above the
    200K context tier, with 5-minute and 1-hour cache writes), costs what genai-prices computes."""
    card = tmp_path / "anthropic.csv"
    spend.ok("rates", "import", "genai-prices", "--provider", "anthropic", "-o", card)
    spend.ok("rates", "load", card)

    def message(mid, fresh, read, five, hour, out):
        return {"id": mid, "type": "message", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                "content": [], "usage": {"input_tokens": fresh, "cache_read_input_tokens": read,
                                         "cache_creation_input_tokens": five + hour, "output_tokens": out,
                                         "cache_creation": {"ephemeral_5m_input_tokens": five,
                                                            "ephemeral_1h_input_tokens": hour}}}
    records = [message("msg_long", 150_000, 40_000, 15_000, 5_000, 2_000),
               message("msg_short", 1_000, 3_000, 400, 100, 300)]
    spend.ok("ingest", "--default-time", "2026-11-02T00:00:00Z", write_jsonl(tmp_path / "a.jsonl", records))
    costs = {r["request_id"]: Decimal(r["cost"]) for r in spend.sql("SELECT request_id, cost FROM priced_usage")}
    at = datetime(2026, 11, 2, tzinfo=timezone.utc)
    expected = {r["id"]: genai_prices.extract_usage(r, provider_id="anthropic").calc_price(
        genai_request_timestamp=at).total_price for r in records}
    assert costs == expected
    assert costs["msg_long"] == Decimal("1.1415")  # 150K x $6 + 40K x $0.60 + 15K x $7.50 + 5K x $12 + 2K x $22.50


def test_not_expressible_prices_are_left_out_and_said(spend):
    rows, notes = imported(spend, "deepseek", "openai")
    models = {r["model"] for r in rows}
    assert "not expressible: deepseek deepseek-chat: prices change with the time of day (the card has dates, " \
           "not hours); not imported (its usage stays unpriced)" in notes
    assert not {"deepseek-chat", "deepseek-chat*"} & models
    assert "not expressible: openai whisper-1: priced only by audio hours, input audio hours, which llm-spend " \
           "does not count; not imported (its usage stays unpriced)" in notes
    assert "whisper-1" not in models
    assert "not expressible: openai gpt-4o: file-search calls ($2.5 per 1,000) are not counted by llm-spend: " \
           "imported without them" in notes
    gpt5 = {(r["service_tier"], r["mode"]): (r["input_per_mtok"], r["valid_from"]) for r in rows if r["model"] == "gpt-5"}
    assert gpt5 == {("", "serverless"): ("1.25", ""), ("flex", "serverless"): ("0.625", "2026-10-12"),
                    ("priority", "serverless"): ("2.5", "2026-10-12"), ("fast", "serverless"): ("2.5", "2026-10-12"),
                    ("", "batch"): ("0.625", "2026-10-14")}


def test_a_name_two_providers_list_gets_a_row_per_provider(spend):
    rows, _ = imported(spend, "together", "groq")
    oss = {(r["provider"], r["mode"]): r["cached_input_per_mtok"] for r in rows if r["model"] == "openai/gpt-oss-120b"}
    assert oss == {("together", "serverless"): "", ("groq", "serverless"): "0.075", ("groq", "batch"): "0.075"}
    alone, _ = imported(spend, "together")
    assert {r["provider"] for r in alone if r["model"] == "openai/gpt-oss-120b"} == {""}


def test_import_writes_a_file_that_loads(spend, tmp_path):
    card = tmp_path / "all.csv"
    result = spend.ok("rates", "import", "genai-prices", "-o", card)
    assert result.stdout == ""
    assert len(read_card(card)) > 1000
    assert f" to {card}; " in result.stderr.splitlines()[-1]


def test_unknown_provider_is_one_line_exit_2(spend):
    result = spend("rates", "import", "genai-prices", "--provider", "nope")
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("error: unknown genai-prices provider 'nope' (known: anthropic, ")


def test_without_genai_prices_the_command_says_what_to_install(spend, monkeypatch):
    monkeypatch.setitem(sys.modules, "genai_prices", None)
    result = spend("rates", "import", "genai-prices")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "error: rates import genai-prices needs the genai-prices package: pip install 'llm-spend[prices]' "
        "(or pip install 'genai-prices>=0.2.3,<0.3')"]


@pytest.mark.parametrize("regex,glob", [
    (r"^claude-sonnet-5-\d{8}$", "claude-sonnet-5-" + "[0-9]" * 8),
    (r"^claude-opus-5[-@]\d{8}$", "claude-opus-5[-@]" + "[0-9]" * 8),
    (r"^gpt-5\.4-\d{4}-\d{2}-\d{2}$", "gpt-5.4-[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"),
    (r"^gemini-3\.5-flash-\d", "gemini-3.5-flash-[0-9]*"),
    (r"^composer-2\.5\[fast=true\]$", "composer-2.5[[]fast=true]"),
    (r"mini", "*mini*"),
    (r"^(typesafe/)?jev-1\.13(-\d{8})?$", None),
    (r"^(?!.*-[tT][tT][sS](?:$|-))", None),
    (r"^a\w+$", None),
    (r"^a.b$", None),
])
def test_regex_rules_become_globs_only_when_they_are_globs(regex, glob):
    assert regex_glob(regex) == glob


def test_match_rules_as_names_and_patterns():
    from genai_prices import types as t

    rule = t.ClauseOr([t.ClauseEquals("gpt-4o"), t.ClauseStartsWith("gpt-4o-2024-"), t.ClauseEndsWith("/gpt-4o"),
                       t.ClauseContains("4o"), t.ClauseEquals("odd*name"),
                       t.ClauseAnd([t.ClauseStartsWith("a"), t.ClauseEndsWith("b")])])
    names, skipped = match_globs(rule)
    assert names == ["gpt-4o", "gpt-4o-2024-*", "*/gpt-4o", "*4o*", "odd[*]name"]
    assert skipped == ["and(starts_with 'a', ends_with 'b')"]
    assert escape_glob("a?[b") == "a[?][[]b"


def _installed_make_default_rates():
    spec = importlib.util.spec_from_file_location("make_default_rates", REPO / "scripts" / "make_default_rates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_default_card_is_what_its_generator_writes():
    """Byte check of analyzer/data/default_rates.csv against scripts/make_default_rates.py run with
    the installed genai-prices. The card names the genai-prices version it was made from; another
    installed version skips (pyproject's test extra pins the one it was made from) with the
    command that brings the card up to date."""
    committed = DEFAULT_CARD.read_text(encoding="utf-8")
    made_with = set(re.findall(r",genai-prices ([^:,]+): ", committed))
    installed = genai_prices.__version__
    if made_with != {installed}:
        pytest.skip(f"{DEFAULT_CARD.name} was made with genai-prices {', '.join(sorted(made_with))}, "
                    f"{installed} is installed: run `make regen` to regenerate it from {installed}")
    text, _notes, _count = _installed_make_default_rates().build_card()
    assert text == committed, "analyzer/data/default_rates.csv differs from its generator: run `make regen`"


def test_default_card_prices_every_sample_model_but_the_unknown_fine_tune(spend):
    """The sample's one deliberately unknown model is a customer's fine-tune no price list has."""
    spend.ok("rates", "load", "--default")
    spend.ok("ingest", REPO / "sample_logs" / "exports")
    unpriced = json.loads(spend.ok("rates", "unpriced", "--format", "json").stdout)
    assert [(u["model"], u["requests"]) for u in unpriced] == [("northwind-labs/support-router-ft-v2", 859)]
    default = _installed_make_default_rates()
    assert set(default.PROVIDERS) == {"openai", "anthropic", "google", "together", "mistral", "deepseek", "groq"}
    models = {r.model for r in read_card(DEFAULT_CARD)}
    assert {"gpt-5", "claude-sonnet-4-5*", "gemini-2.5-flash", "mistral-large-latest", "deepseek-v3.2",
            "llama-3.3-70b-versatile", "zai-org/GLM-5.3"} <= models
