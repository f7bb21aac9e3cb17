"""Rate card: loaded whole or refused whole, with the line and the reason."""

from __future__ import annotations

from decimal import Decimal

import pytest

from analyzer.rates import DEFAULT_CARD, read_card
from tests.helpers import write_card

GOOD = """
    m,,1.00,2.00,0.10,1.25,2026-01-01,2026-07-01,USD
    m,,0.80,1.60,,,2026-07-01,,
    m,batch,0.50,1.00,,,,,
"""


def test_load_and_list(spend, tmp_path):
    result = spend.ok("rates", "load", write_card(tmp_path / "card.csv", GOOD))
    assert "loaded 3 rates" in result.stdout
    rows = spend.sql("SELECT * FROM rates ORDER BY mode, valid_from NULLS FIRST")
    assert [(r["mode"], Decimal(r["input_per_mtok"])) for r in rows] == [
        ("batch", Decimal("0.5")), ("serverless", Decimal("1")), ("serverless", Decimal("0.8"))]
    assert rows[1]["valid_from"].startswith("2026-01-01T00:00:00+00:00")
    assert rows[1]["cache_write_per_mtok"] is not None and rows[2]["cached_input_per_mtok"] is None
    listed = spend.ok("rates", "list", "--format", "csv").stdout
    assert listed.splitlines()[0] == (
        "model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,valid_from,valid_to,"
        "currency,provider,service_tier,input_tokens_above,cache_write_1h_per_mtok,audio_input_per_mtok,"
        "audio_output_per_mtok,image_input_per_mtok,image_output_per_mtok,per_request,web_search_per_k")
    assert len(listed.splitlines()) == 4
    # The listing is a card: loading it again gives the same rates.
    before = spend.sql("SELECT * EXCLUDE (card_line) FROM rates ORDER BY ALL")
    (tmp_path / "again.csv").write_text(listed, encoding="utf-8")
    spend.ok("rates", "load", tmp_path / "again.csv")
    assert spend.sql("SELECT * EXCLUDE (card_line) FROM rates ORDER BY ALL") == before


def test_optional_columns_are_found_by_name_and_checked(spend, tmp_path):
    card = tmp_path / "card.csv"
    card.write_text("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,"
                    "valid_from,valid_to,currency,notes,web_search_per_k,provider,service_tier\n"
                    "m,,1,2,,,,,,hello,10,OpenAI,Priority\n", encoding="utf-8")
    spend.ok("rates", "load", card)
    row = spend.sql("SELECT provider, service_tier, web_search_per_k FROM rates")[0]
    assert row == {"provider": "openai", "service_tier": "priority", "web_search_per_k": "10"}


def test_extra_columns_are_ignored(spend, tmp_path):
    card = tmp_path / "card.csv"
    card.write_text("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,"
                    "valid_from,valid_to,currency,checked_on,notes\nm,,1,2,,,,,,2026-11-28,hello\n")
    spend.ok("rates", "load", card)
    assert len(spend.sql("SELECT * FROM rates")) == 1


@pytest.mark.parametrize("rows,line,reason", [
    ("m,,-1,2,,,,,", 2, "input_per_mtok '-1' must be a number >= 0"),
    ("m,,abc,2,,,,,", 2, "input_per_mtok 'abc' is not a number"),
    ("m,,1,,,,,,", 2, "output_per_mtok is empty"),
    ("m,,1,2,,,2026-13-01,,", 2, "valid_from '2026-13-01' is not a date"),
    ("m,,1,2,,,2026-02-01,2026-01-01,", 2, "valid_to must be after valid_from"),
    ("m,,1,2,,,,,\nm,,1,3,,,2026-01-01,,", 3, "overlaps the validity of line 2"),
    ("m,,1,2,,,2026-01-01,2026-03-01,\nm,,1,3,,,2026-02-01,,", 3, "overlaps the validity of line 2"),
    ("m,weird,1,2,,,,,", 2, "mode 'weird' is not one of"),
    (",,1,2,,,,,", 2, "model is empty"),
    ("m,,1.0000000000001,2,,,,,", 2, "more than 12 decimal places (rates are exact to 12 places: round it, "
                                     "e.g. 1.000000000000)"),
    ("m,,1,1000000,,,,,", 2, "output_per_mtok '1000000' is not below 1,000,000 per 1M tokens"),
    ("m,,1,2,,,,,USD\nn,,1,2,,,,,EUR", 3, "currency EUR differs from USD"),
    ("m,,1,2", 2, "expected at least 9 columns"),
    ("m[,,1,2,,,,,", 2, "model pattern 'm[' has an unclosed ["),
])
def test_bad_card_is_refused_whole_and_previous_rates_kept(spend, tmp_path, rows, line, reason):
    spend.ok("rates", "load", write_card(tmp_path / "good.csv", "keep,,1,1,,,,,"))
    bad = write_card(tmp_path / "bad.csv", rows)
    result = spend("rates", "load", bad)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1
    assert f"rate card {bad} line {line}: " in message
    assert message.endswith("; no rates changed")
    assert reason in message
    assert [r["model"] for r in spend.sql("SELECT model FROM rates")] == ["keep"]


def test_bad_header_is_refused(spend, tmp_path):
    card = tmp_path / "card.csv"
    card.write_text("model,input,output\nm,1,2\n")
    result = spend("rates", "load", card)
    assert result.exit_code == 1
    assert "line 1: header must start with model,mode,input_per_mtok" in result.stderr


def test_missing_card_is_one_line(spend, tmp_path):
    result = spend("rates", "load", tmp_path / "nope.csv")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [f"error: rate card {tmp_path / 'nope.csv'}: No such file or directory"]


def test_default_card_is_valid_and_has_the_guide_model():
    rates = read_card(DEFAULT_CARD)
    maestro = [r for r in rates if r.model == "arcee-ai/maestro-reasoning" and r.mode == "serverless"]
    assert len(maestro) == 1
    assert (maestro[0].input_per_mtok, maestro[0].output_per_mtok) == (Decimal("0.90"), Decimal("3.30"))
    header = DEFAULT_CARD.read_text().splitlines()[0]
    assert "checked_on" in header
    assert len({r.model for r in rates}) >= 8


def test_bundled_card_loads_with_default(spend):
    out = spend.ok("rates", "load", "--default").stdout
    assert out.startswith("loaded ") and "default_rates.csv" in out
    assert spend("rates", "load").exit_code == 2


@pytest.mark.parametrize("rows,line,reason", [
    ("m,,1,2,,,,,,,,abc", 2, "input_tokens_above 'abc' is not a whole number of tokens >= 0"),
    ("m,,1,2,,,,,,,,-5", 2, "input_tokens_above '-5' is not a whole number"),
    ("m,,1,2,,,,,,,,200000", 2, "input_tokens_above needs a base row for m"),
    ("m,,1,2,,,,,,,,\nm,,1,3,,,,,,,,", 3, "m (serverless) overlaps the validity of line 2"),
    ("m,,1,2,,,,,,,,\nm,,1,3,,,,,,,,200000\nm,,1,4,,,,,,,,200000", 4,
     "m (serverless, input above 200,000) overlaps the validity of line 3"),
    ("m,,1,2,,,,,,,,,,,,,,1000000,", 2, "per_request '1000000' is not below 1,000,000 a request"),
    ("m,,1,2,,,,,,,,,0.0000000000001,,,,,,", 2, "cache_write_1h_per_mtok '0.0000000000001' has more than 12"),
])
def test_bad_optional_columns_are_refused_with_the_line(spend, tmp_path, rows, line, reason):
    card = tmp_path / "card.csv"
    card.write_text("model,mode,input_per_mtok,output_per_mtok,cached_input_per_mtok,cache_write_per_mtok,valid_from,"
                    "valid_to,currency,provider,service_tier,input_tokens_above,cache_write_1h_per_mtok,"
                    "audio_input_per_mtok,audio_output_per_mtok,image_input_per_mtok,image_output_per_mtok,"
                    "per_request,web_search_per_k\n" + rows + "\n", encoding="utf-8")
    result = spend("rates", "load", card)
    assert result.exit_code == 1
    assert f"line {line}: " in result.stderr and reason in result.stderr, result.stderr
