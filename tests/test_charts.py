"""Charts: drawn on the server without any network (fonts and Vega are bundled), labels escaped."""

from __future__ import annotations

import shutil
import subprocess
import sys
from decimal import Decimal

import pytest

from analyzer import charts

DRAW = """
from decimal import Decimal
from analyzer import charts
chart = charts.top_groups([{"tenant": "</script><script>alert(1)</script>", "cost": Decimal("2")},
                           {"tenant": "b", "cost": Decimal("1")}], "tenant", "USD", "Top tenants")
svg = chart.svg()
assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in svg and "<script" not in svg
assert chart.png()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
print("drawn")
"""


def test_charts_need_no_network():
    """Draw a chart (SVG and PNG) in a process that has no network at all (its own empty
    network namespace): nothing is fetched, no font, no schema, no script."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-n", "true"], capture_output=True).returncode != 0:
        pytest.skip("no network namespaces here (unshare -n needs root)")
    result = subprocess.run([unshare, "-n", sys.executable, "-c", DRAW], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "drawn"


def test_top_groups_folds_the_rest_and_shows_shares():
    rows = [{"model": f"m{i}", "cost": Decimal(12 - i)} for i in range(12)] + [{"model": "free", "cost": None}]
    values = charts.top_groups(rows, "model", "USD", "Top models", limit=10).spec["data"]["values"]
    assert [v["name"] for v in values][-1] == "(others: 2 more)"
    assert values[0]["share"] == "15.4%" and values[-1]["share"] == "3.8%"  # 12 of 78; 2 + 1 of 78
    assert [v["name"] for v in charts.top_groups([{"model": None, "cost": Decimal(1)}], "model", "USD", "t")
            .spec["data"]["values"]] == ["(none)"]
