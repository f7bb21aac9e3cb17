"""DuckDB SQL to Spark SQL: the named queries of queries/ are written once, in DuckDB's dialect,
and transpiled with sqlglot (read="duckdb", write="spark"). Where the two dialects differ in a way
sqlglot does not bridge, a rewrite below says which and why; where a query cannot be bridged, it
has a Spark variant (queries/spark/, `-- name: <query>__spark`).

Parameters ($name) become typed literals in the syntax tree (sqlglot quotes them), never text
glued into SQL."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from functools import lru_cache

import sqlglot
from sqlglot import exp

from analyzer.errors import SpendError

# strftime's ISO week (%G-W%V): Spark 3+ refuses week-based datetime patterns (Y, w) in
# date_format, so the ISO year and week come from extract(YEAROFWEEK / WEEK), both ISO 8601.
_ISO_WEEK = "concat(CAST(extract(YEAROFWEEK FROM __x__) AS STRING), '-W', lpad(CAST(extract(WEEK FROM __x__) AS STRING), 2, '0'))"


def _iso_week(node: exp.Expression) -> exp.Expression:
    template = sqlglot.parse_one(_ISO_WEEK, read="spark")
    return template.transform(lambda n: node.this.copy() if isinstance(n, exp.Column) and n.name == "__x__" else n)


# strftime codes the queries use, as Spark datetime pattern letters.
_PATTERN = {"Y": "yyyy", "m": "MM", "d": "dd", "H": "HH", "M": "mm", "S": "ss"}


def _java_pattern(strftime: str) -> str | None:
    """A strftime format as a Spark pattern, letters outside the codes quoted ('T', 'Z': sqlglot
    leaves them bare, and Spark reads a bare letter as a pattern letter); None if a code is unknown."""
    out, i = [], 0
    while i < len(strftime):
        char = strftime[i]
        if char == "%" and i + 1 < len(strftime):
            if strftime[i + 1] not in _PATTERN:
                return None
            out.append(_PATTERN[strftime[i + 1]])
            i += 2
            continue
        out.append(f"'{char}'" if char.isalpha() else ("''" if char == "'" else char))
        i += 1
    return "".join(out)


# store_batch_discount() (a DuckDB macro of queries/views/010_pricing.sql): the same scalar
# subquery over the lake's settings.
_STORE_BATCH_DISCOUNT = "(SELECT CAST(value AS DECIMAL(7, 6)) FROM settings WHERE key = 'batch_discount')"


def _rewrite(node: exp.Expression) -> exp.Expression:
    """The rewrites sqlglot's DuckDB-to-Spark translation needs for this project's queries."""
    if isinstance(node, exp.Anonymous) and node.name.lower() == "store_batch_discount" and not node.expressions:
        return sqlglot.parse_one(_STORE_BATCH_DISCOUNT, read="spark")
    if isinstance(node, exp.TimeToStr) and isinstance(node.args.get("format"), exp.Literal):
        fmt = node.args["format"].this
        if fmt == "%G-W%V":
            return _iso_week(node)
        pattern = _java_pattern(fmt)
        if pattern is not None:
            return exp.Anonymous(this="date_format", expressions=[node.this.copy(), exp.Literal.string(pattern)])
    # list(DISTINCT x ORDER BY x): sqlglot drops the ORDER BY (collect_list has none); a sorted
    # set of the values is the same list.
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order) and isinstance(node.this.this, exp.Distinct):
        order = node.this.expressions
        values = node.this.this.expressions
        if len(order) == 1 and len(values) == 1 and order[0].this == values[0] and not order[0].args.get("desc"):
            return exp.func("array_sort", exp.func("collect_set", values[0].copy()))
    return node


def literal(value) -> exp.Expression:
    """A parameter value as a Spark SQL literal of its type."""
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, Decimal):
        sign, digits, exponent = value.as_tuple()
        scale = max(0, -exponent)
        precision = max(len(digits), scale + 1)
        return exp.cast(exp.Literal.string(format(value, "f")), f"DECIMAL({precision}, {scale})")
    if isinstance(value, datetime):
        moment = value.astimezone(timezone.utc) if value.tzinfo else value
        return exp.cast(exp.Literal.string(moment.strftime("%Y-%m-%d %H:%M:%S.%f")), "TIMESTAMP")
    if isinstance(value, date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[literal(v) for v in value])
    raise SpendError(f"--engine spark: a query parameter of type {type(value).__name__} has no Spark literal")


@lru_cache(maxsize=256)
def _parsed(sql: str, dialect: str) -> tuple[exp.Expression, ...]:
    try:
        trees = [tree for tree in sqlglot.parse(sql, read=dialect) if tree is not None]
    except sqlglot.errors.ParseError as exc:
        raise SpendError(f"--engine spark: cannot read a query as DuckDB SQL: {str(exc).splitlines()[0]}") from None
    return tuple(tree.transform(_rewrite) for tree in trees)


def spark_statements(sql: str, params: dict | None = None, dialect: str = "duckdb",
                     tables: dict[str, str] | None = None) -> list[exp.Expression]:
    """The statements of `sql` (DuckDB's dialect, or a Spark variant's) as Spark syntax trees, their
    parameters ($name, :name) replaced by `params`' values and the tables named in `tables` by
    the names they map to (a relation given to a query as DuckDB gives one to a table macro)."""
    params, tables = params or {}, tables or {}

    def bind(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Placeholder) and node.name:
            if node.name not in params:
                raise SpendError(f"--engine spark: query parameter ${node.name} has no value")
            return literal(params[node.name])
        if isinstance(node, exp.Table) and not node.db and node.name in tables:
            renamed = exp.to_table(tables[node.name])
            return renamed.as_(node.alias) if node.alias else renamed
        return node

    return [tree.copy().transform(bind) for tree in _parsed(sql, dialect)]


def to_spark(sql: str, params: dict | None = None, dialect: str = "duckdb", tables: dict[str, str] | None = None) -> str:
    """The one statement `sql` as Spark SQL text (see spark_statements)."""
    statements = spark_statements(sql, params, dialect, tables)
    if len(statements) != 1:
        raise SpendError(f"--engine spark: expected one statement, got {len(statements)}")
    return statements[0].sql(dialect="spark")
