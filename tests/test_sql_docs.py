"""The README's column list of the SQL interface is generated from a migrated store and must not
drift from it (scripts/make_sql_docs.py; `make regen` rewrites it)."""

from __future__ import annotations

import importlib.util

from tests.helpers import REPO


def _script():
    spec = importlib.util.spec_from_file_location("make_sql_docs", REPO / "scripts" / "make_sql_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_sql_columns_match_a_migrated_store():
    docs = _script()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert docs.rewrite(text, docs.block()) == text, "README's SQL columns drifted: run make regen"


def test_the_check_catches_a_column_that_drifted():
    docs = _script()
    generated = docs.block()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    drifted = text.replace("request_id VARCHAR, ts TIMESTAMP", "request_id VARCHAR, when TIMESTAMP", 1)
    assert drifted != text
    assert docs.rewrite(drifted, generated) == text
    assert "| `usage` | table | request_id VARCHAR" in generated and "| `priced_usage` | view |" in generated
