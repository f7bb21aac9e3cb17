"""Settings: defaults, overridden by a TOML config file (`--config` or `$LLM_SPEND_CONFIG`).

Attribution (SPEC "Attribution"); every list is tried in order, the first non-empty value wins:

    [attribution]                      # JSON paths into the record, or bare column names
    tenant = ["$.metadata.tenant", "team_id"]
    user_id = ["$.request.user"]

    [tenant_map]                       # for sources that carry only ids (Usage API rows)
    ids = ["$.api_key_id", "$.project_id"]   # where the ids are (these are the defaults)
    file = "tenants.csv"               # optional CSV with the columns id,tenant (next to this file)
    [tenant_map.names]                 # and/or inline; inline entries win over the file
    key_abc = "acme"

    [columns]                          # generic CSV / Parquet: source columns per canonical column
    ts = ["timestamp"]
    input_tokens = ["tokens_in"]

A field not set under [attribution] uses the reader's own defaults where it has some (LiteLLM's
team_id / end_user, Helicone's properties, Langfuse's userId...), else DEFAULT_ATTRIBUTION. The
tenant map applies when no tenant path finds a value; it is a MAP parameter of stage_usage.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from analyzer.errors import BadInput

ATTRIBUTES = ("tenant", "feature", "environment", "user_id", "project")

# Ordered JSON paths tried for each attribute; the first non-empty value wins (SPEC "Attribution").
DEFAULT_ATTRIBUTION: dict[str, tuple[str, ...]] = {
    "tenant": ("$.metadata.tenant", "$.request.metadata.tenant", "$.team_id"),
    "feature": ("$.metadata.feature", "$.request.metadata.feature"),
    "environment": ("$.metadata.environment", "$.request.metadata.environment"),
    "user_id": ("$.user", "$.request.user", "$.end_user"),
    "project": ("$.metadata.project", "$.request.metadata.project", "$.project_id"),
}

# Where the ids looked up in the tenant map ([tenant_map] in the config) are found, in order:
# sources such as the Usage API carry only an API key or project id.
DEFAULT_TENANT_KEYS: tuple[str, ...] = ("$.api_key_id", "$.project_id")

# Generic CSV / Parquet readers: for each canonical column, the source columns tried in order
# ([columns] in the config). Input tokens include cached ones (the canonical meaning).
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "request_id": ("request_id", "id"),
    "ts": ("ts", "timestamp", "time", "created_at", "created", "start_time", "date"),
    "model": ("model", "model_name"),
    "mode": ("mode",),
    "provider": ("provider",),
    "requests": ("requests", "num_requests", "num_model_requests"),
    "input_tokens": ("input_tokens", "prompt_tokens"),
    "cached_input_tokens": ("cached_input_tokens", "cached_tokens", "cache_read_tokens"),
    "cache_write_tokens": ("cache_write_tokens", "cache_creation_tokens"),
    "output_tokens": ("output_tokens", "completion_tokens"),
    "reasoning_tokens": ("reasoning_tokens",),
}


DEFAULT_MEMORY_LIMIT = "512MB"
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$", re.IGNORECASE)


@dataclass(frozen=True)
class Config:
    db: Path | None = None
    batch_discount: Decimal = Decimal("0.5")
    attribution: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTION))
    source: Path | None = None
    configured: frozenset[str] = frozenset()  # attribution fields the config file sets (else a reader's defaults apply)
    tenant_keys: tuple[str, ...] = DEFAULT_TENANT_KEYS
    tenant_names: dict[str, str] = field(default_factory=dict)  # id (API key, project) -> tenant
    columns: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(TABLE_COLUMNS))
    # DuckDB's memory limit: past it, large ingests spill to a temp folder next to the store
    # instead of growing (a 10M-line file would otherwise take several GB).
    memory_limit: str = DEFAULT_MEMORY_LIMIT


def json_path(spec: str) -> str:
    """A JSON path as written in the config: `$.a.b` as is, a bare column name becomes `$."name"`."""
    if spec.startswith("$"):
        return spec
    return '$."' + spec.replace('"', '\\"') + '"'


def load_config(path: str | os.PathLike | None) -> Config:
    """Read the config file, if any; an unreadable or invalid file is a BadInput."""
    path = path or os.environ.get("LLM_SPEND_CONFIG")
    if not path:
        return Config()
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"config file not found: {path}") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"config file {path}: {exc}") from None
    return _parse(data, path)


def _parse(data: dict, path: Path) -> Config:
    pricing = data.get("pricing", {})
    try:
        discount = Decimal(str(pricing.get("batch_discount", "0.5")))
    except InvalidOperation:
        raise BadInput(f"config file {path}: pricing.batch_discount is not a number") from None
    if not Decimal(0) <= discount <= Decimal(1):
        raise BadInput(f"config file {path}: pricing.batch_discount must be between 0 and 1")
    attribution = dict(DEFAULT_ATTRIBUTION)
    for name, paths in data.get("attribution", {}).items():
        if name not in ATTRIBUTES:
            raise BadInput(f"config file {path}: unknown attribution field {name!r} (one of {', '.join(ATTRIBUTES)})")
        if isinstance(paths, str):
            paths = [paths]
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
            raise BadInput(f"config file {path}: attribution.{name} must be a list of JSON paths or columns")
        attribution[name] = tuple(json_path(p) for p in paths)
    db = data.get("db")
    tenant_keys, tenant_names = _tenant_map(data.get("tenant_map", {}), path)
    return Config(
        db=(path.parent / db) if db else None,
        batch_discount=discount,
        attribution=attribution,
        source=path,
        configured=frozenset(data.get("attribution", {})),
        tenant_keys=tenant_keys,
        tenant_names=tenant_names,
        columns=_columns(data.get("columns", {}), path),
        memory_limit=_memory_limit(data.get("store", {}).get("memory_limit", DEFAULT_MEMORY_LIMIT), path),
    )


def _memory_limit(value, path: Path) -> str:
    if not isinstance(value, str) or not _MEMORY.match(value.strip()):
        raise BadInput(f"config file {path}: store.memory_limit must look like '512MB' or '2GB'")
    return value.strip()


def _paths(value, where: str, path: Path) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise BadInput(f"config file {path}: {where} must be a list of JSON paths or columns")
    return tuple(json_path(p) for p in value)


def _tenant_map(table: dict, path: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    """[tenant_map]: `ids` (where ids are found), `names` (id = tenant) and/or `file` (a CSV
    with columns id,tenant, relative to the config file). Later entries win."""
    keys = _paths(table["ids"], "tenant_map.ids", path) if "ids" in table else DEFAULT_TENANT_KEYS
    names: dict[str, str] = {}
    if "file" in table:
        names.update(_tenant_file(path.parent / str(table["file"]), path))
    inline = table.get("names", {})
    if not isinstance(inline, dict) or not all(isinstance(v, str) for v in inline.values()):
        raise BadInput(f"config file {path}: tenant_map.names must be a table of id = \"tenant\"")
    names.update({str(k): v for k, v in inline.items()})
    return keys, names


def _tenant_file(csv_path: Path, path: Path) -> dict[str, str]:
    import csv

    try:
        with open(csv_path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
            header = rows[0].keys() if rows else []
    except OSError as exc:
        raise BadInput(f"config file {path}: tenant_map.file: {exc}") from None
    if rows and not {"id", "tenant"} <= set(header):
        raise BadInput(f"config file {path}: tenant_map.file {csv_path} needs the columns id,tenant")
    return {row["id"].strip(): row["tenant"].strip() for row in rows if row["id"] and row["tenant"]}


def _columns(table: dict, path: Path) -> dict[str, tuple[str, ...]]:
    """[columns]: for the generic CSV / Parquet readers, source columns per canonical column."""
    columns = dict(TABLE_COLUMNS)
    for name, value in table.items():
        if name not in TABLE_COLUMNS:
            raise BadInput(f"config file {path}: unknown column {name!r} in [columns] (one of {', '.join(TABLE_COLUMNS)})")
        columns[name] = tuple(v for v in _paths(value, f"columns.{name}", path))
    return columns
