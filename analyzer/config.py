"""Settings: defaults, overridden by a TOML config file (`--config` or `$LLM_SPEND_CONFIG`).

The whole file is validated when it is read (pydantic models, one per `[section]`, unknown
sections and keys refused), so a mistake is one `error:` line naming the file, the key and the
problem, before anything runs. docs/config.md describes every key.

Attribution (docs/attribution.md): every list is tried in order, the first non-empty value wins:

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

Adding a section is one model class decorated with `@section("name")` below; its validated
values are `Config.sections["name"]` (None when the file has no such section).
"""

from __future__ import annotations

import difflib
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Callable, Literal, Mapping

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from analyzer.errors import BadInput
from analyzer.modes import MODES, is_pattern, specificity
from analyzer.money import discount_problem

ATTRIBUTES = ("tenant", "feature", "environment", "user_id", "project")

# Ordered JSON paths tried for each attribute; the first non-empty value wins (docs/attribution.md).
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

# stage_usage picks, per attribution field, the first non-empty of at most this many path slots.
MAX_PATHS = 8

DEFAULT_MEMORY_LIMIT = "512MB"
# Below this an ingest cannot run: DuckDB reads a file in blocks of over 100 MB.
MIN_MEMORY_LIMIT = "256MB"
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
_UNITS = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


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
    # Every registered section as validated (None: not in the file), for sections added later.
    sections: Mapping[str, Any] = field(default_factory=dict)


def json_path(spec: str) -> str:
    """A JSON path as written in the config: `$.a.b` as is, a bare column name becomes `$."name"`."""
    if spec.startswith("$"):
        return spec
    return '$."' + spec.replace('"', '\\"') + '"'


@lru_cache(maxsize=256)
def check_json_path(path: str) -> str | None:
    """Why DuckDB would refuse this JSON path in stage_usage (several paths at once, so no
    wildcards), or None when it reads it. Compiled by DuckDB itself, so the rule is DuckDB's."""
    import duckdb

    try:
        _path_checker().execute("SELECT json_extract_string('{}', $paths)", {"paths": [path, path]}).fetchall()
    except duckdb.Error as exc:
        return str(exc).split("Error: ", 1)[-1].splitlines()[0]
    return None


@lru_cache(maxsize=1)
def _path_checker():
    import duckdb

    return duckdb.connect(config={"autoinstall_known_extensions": False, "enable_external_access": False})


# --- the file's schema: one model per section ------------------------------------------------

STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
SECTIONS: dict[str, type[BaseModel]] = {}


@lru_cache(maxsize=1)
def _file_model() -> type[BaseModel]:
    """The top level of the file: `db` and every registered section."""
    return create_model(
        "ConfigFile", __config__=STRICT,
        db=(Annotated[str, Field(min_length=1)] | None, None),
        **{name: (model | None, None) for name, model in SECTIONS.items()},
    )


def section(name: str) -> Callable[[type[BaseModel]], type[BaseModel]]:
    """Register a `[name]` section of the config file (its model validates it)."""
    def register(model: type[BaseModel]) -> type[BaseModel]:
        SECTIONS[name] = model
        _file_model.cache_clear()
        return model
    return register


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _as_paths(value: list[str]) -> tuple[str, ...]:
    paths = []
    for spec in value:
        if not spec.strip():
            raise ValueError("an empty JSON path or column name")
        path = json_path(spec)
        problem = check_json_path(path)
        if problem:
            raise ValueError(f"{spec!r} is not a JSON path DuckDB can read ({problem})")
        paths.append(path)
    return tuple(paths)


# A list of JSON paths (or bare column names; one string is a list of one), checked by DuckDB.
Paths = Annotated[list[str], BeforeValidator(_one_or_many), Field(max_length=MAX_PATHS), AfterValidator(_as_paths)]
AnyPaths = Annotated[list[str], BeforeValidator(_one_or_many), AfterValidator(_as_paths)]


@section("store")
class StoreSection(BaseModel):
    model_config = STRICT
    memory_limit: str = DEFAULT_MEMORY_LIMIT

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        value = value.strip()
        if not _MEMORY.match(value):
            raise ValueError("must look like '512MB' or '2GB'")
        if memory_bytes(value) < memory_bytes(MIN_MEMORY_LIMIT):
            raise ValueError(f"{value!r} is too small: at least {MIN_MEMORY_LIMIT}")
        return value


def memory_bytes(text: str) -> int:
    number, unit = _MEMORY.match(text.strip()).groups()
    return int(Decimal(number) * _UNITS[unit.lower()])


@section("pricing")
class PricingSection(BaseModel):
    model_config = STRICT
    batch_discount: Decimal = Decimal("0.5")

    @field_validator("batch_discount", mode="before")
    @classmethod
    def _discount(cls, value: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
            raise ValueError(f"must be a number between 0 and 1, not {_kind(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be a number between 0 and 1, not {value}")
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
        if not number.is_finite():
            raise ValueError(f"must be a number between 0 and 1, not {value}")
        problem = discount_problem(number, value)  # the pricing's own rule (analyzer/money.py)
        if problem:
            raise ValueError(problem)
        return number


def _paths_section(name: str, fields: tuple[str, ...], doc: str, limit: bool) -> type[BaseModel]:
    kind = Paths if limit else AnyPaths
    model = create_model(name, __config__=STRICT, __doc__=doc,
                         **{f: (kind | None, None) for f in fields})
    for f in fields:
        model.model_fields[f].description = f"ordered JSON paths or columns for {f}"
    return model


AttributionSection = section("attribution")(_paths_section(
    "AttributionSection", ATTRIBUTES, "[attribution]: ordered JSON paths per attribution field.", True))
ColumnsSection = section("columns")(_paths_section(
    "ColumnsSection", tuple(TABLE_COLUMNS), "[columns]: source columns per canonical column.", False))


@section("tenant_map")
class TenantMapSection(BaseModel):
    model_config = STRICT
    ids: Paths | None = None
    file: Annotated[str, Field(min_length=1)] | None = None
    names: dict[str, str] = {}


def _amount(value: Any) -> Decimal:
    """A money amount >= 0: a string ("40.00", exact) or a number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError(f"must be an amount such as \"40.00\", not {_kind(value)}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not number.is_finite() or number < 0:
        raise ValueError(f"{value!r} must be an amount >= 0")
    return number


Amount = Annotated[Decimal, BeforeValidator(_amount)]


@section("budgets")
class BudgetsSection(BaseModel):
    """[budgets.tenant] and [budgets.feature]: monthly budgets, name = amount (analyzer/budgets.py)."""

    model_config = STRICT
    tenant: dict[str, Amount] = {}
    feature: dict[str, Amount] = {}


@section("email")
class EmailSection(BaseModel):
    """[email]: the SMTP server of `llm-spend email` (analyzer/mailing.py). Each key can be
    overridden by $LLM_SPEND_SMTP_HOST, _PORT, _SECURITY, _USER, _FROM; the password is never
    read from a file: only from $LLM_SPEND_SMTP_PASSWORD."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True)
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    user: str | None = None
    sender: str | None = Field(default=None, alias="from")


def _model_patterns(value: Any) -> tuple[str, ...]:
    value = _one_or_many(value)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be an array of model names or glob patterns (or one string), not {_kind(value)}")
    seen: set[str] = set()
    for name in value:
        if not name.strip():
            raise ValueError("an empty model name or pattern")
        if name != name.strip():
            raise ValueError(f"{name!r} has spaces around it")
        if name.count("[") != name.count("]") or re.search(r"\[[^\]]*\[|\[\]", name):
            raise ValueError(f"{name!r} is not a glob pattern (a [ without its ], or an empty [])")
        if name in seen:
            raise ValueError(f"{name!r} is listed twice")
        seen.add(name)
    return tuple(value)


ModelPatterns = Annotated[tuple[str, ...], BeforeValidator(_model_patterns)]


@section("modes")
class ModesSection(BaseModel):
    """[modes]: the deployment mode of every request to these models, set at ingest (one key per
    mode, each a list of exact model names or glob patterns; `ingest --mode` wins over it).
    The most specific entry decides (the rate card's rule): an exact name before a pattern, a
    longer pattern before a shorter one, then the pattern text."""

    model_config = STRICT
    serverless: ModelPatterns = ()
    batch: ModelPatterns = ()
    dedicated: ModelPatterns = ()
    gpu_cluster: ModelPatterns = ()

    @model_validator(mode="after")
    def _once(self) -> "ModesSection":
        where: dict[str, str] = {}
        for mode in MODES:
            for name in getattr(self, mode):
                if name in where:
                    raise ValueError(f"{name!r} is under both {where[name]} and {mode}")
                where[name] = mode
        return self

    def ordered(self) -> list[dict[str, Any]]:
        """Every entry, most specific first: what stage_usage's $mode_map takes."""
        entries = [{"pattern": name, "is_pattern": is_pattern(name), "mode": mode}
                   for mode in MODES for name in getattr(self, mode)]
        return sorted(entries, key=lambda e: specificity(e["pattern"]))



# --- reading ---------------------------------------------------------------------------------

def load_config(path: str | os.PathLike | None) -> Config:
    """Read and validate the config file, if any; an unreadable or invalid file is a BadInput."""
    path = path or os.environ.get("LLM_SPEND_CONFIG")
    if not path:
        return Config()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"config file not found: {path}") from None
    except OSError as exc:
        raise BadInput(f"config file {path}: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(_decode(raw, path))
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"config file {path}: not valid TOML: {exc}") from None
    try:
        parsed = _file_model().model_validate(data)
    except ValidationError as exc:
        raise BadInput(f"config file {path}: {describe_errors(exc)}") from None
    return _config(parsed, path)


def _decode(raw: bytes, path: Path) -> str:
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                      (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if raw.startswith(bom):
            raise BadInput(f"config file {path}: the file is {name} text; save it as UTF-8")
    if b"\x00" in raw:
        raise BadInput(f"config file {path}: not UTF-8 text (it holds NUL bytes: UTF-16 or UTF-32?); save it as UTF-8")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadInput(f"config file {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None


def _config(parsed: BaseModel, path: Path) -> Config:
    sections = {name: getattr(parsed, name) for name in SECTIONS}
    store = sections["store"] or StoreSection()
    pricing = sections["pricing"] or PricingSection()
    given = sections["attribution"]
    attribution = dict(DEFAULT_ATTRIBUTION)
    configured: set[str] = set()
    for name in ATTRIBUTES:
        value = getattr(given, name) if given else None
        if value is not None:
            attribution[name] = value
            configured.add(name)
    columns = dict(TABLE_COLUMNS)
    for name in TABLE_COLUMNS:
        value = getattr(sections["columns"], name) if sections["columns"] else None
        if value is not None:
            columns[name] = value
    tenant_keys, tenant_names = _tenant_map(sections["tenant_map"], path)
    return Config(
        db=(path.parent / parsed.db) if parsed.db else None,
        batch_discount=pricing.batch_discount,
        attribution=attribution,
        source=path,
        configured=frozenset(configured),
        tenant_keys=tenant_keys,
        tenant_names=tenant_names,
        columns=columns,
        memory_limit=store.memory_limit,
        sections=sections,
    )


def _tenant_map(table: TenantMapSection | None, path: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    """[tenant_map]: `ids` (where ids are found), `names` (id = tenant) and/or `file` (a CSV
    with columns id,tenant, relative to the config file). Later entries win."""
    if table is None:
        return DEFAULT_TENANT_KEYS, {}
    keys = table.ids if table.ids is not None else DEFAULT_TENANT_KEYS
    names: dict[str, str] = {}
    if table.file is not None:
        names.update(_tenant_file(path.parent / table.file, path))
    names.update(table.names)
    return keys, names


def _tenant_file(csv_path: Path, path: Path) -> dict[str, str]:
    import csv

    try:
        with open(csv_path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.DictReader(handle))
            header = rows[0].keys() if rows else []
    except OSError as exc:
        raise BadInput(f"config file {path}: tenant_map.file: {csv_path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise BadInput(f"config file {path}: tenant_map.file: {csv_path} is not a UTF-8 CSV file ({exc})") from None
    if rows and not {"id", "tenant"} <= set(header):
        raise BadInput(f"config file {path}: tenant_map.file: {csv_path} needs the columns id,tenant")
    return {row["id"].strip(): row["tenant"].strip() for row in rows if row["id"] and row["tenant"]}


# --- messages --------------------------------------------------------------------------------

_KINDS = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "an array",
          dict: "a table"}


def _kind(value: Any) -> str:
    for kind, text in _KINDS.items():
        if type(value) is kind:
            shown = str(value).lower() if kind is bool else repr(value)
            return f"{text} ({shown})" if kind in (bool, int, float) else text
    return "a date or time" if hasattr(value, "isoformat") else type(value).__name__


def _where(loc: tuple) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _known(loc: tuple) -> list[str]:
    """The keys allowed where `loc` points (its parent model's fields)."""
    model = _file_model()
    for part in loc[:-1]:
        if part not in model.model_fields:
            return []
        annotation = model.model_fields[part].annotation
        model = next((a for a in getattr(annotation, "__args__", (annotation,))
                      if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)


def _problem(error: dict) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "extra_forbidden":
        known = _known(loc)
        what = "section or key" if len(loc) == 1 else "key"
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
        return (f"unknown {what}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                + (f"; known: {', '.join(known)}" if known else ""))
    if kind in ("model_type", "dict_type"):
        return f"must be a table ([{_where(loc)}]), not {_kind(value)}"
    if kind == "list_type":
        return f"must be an array of strings (or one string), not {_kind(value)}"
    if kind == "string_type":
        return f"must be a string, not {_kind(value)}"
    if kind == "too_long":
        return f"at most {MAX_PATHS} paths (it has {len(value)})"
    if kind == "string_too_short":
        return "must not be empty"
    message = error["msg"]
    return message.removeprefix("Value error, ")


def describe_errors(exc: ValidationError) -> str:
    """Every problem of the file on one line: `key: problem; key: problem`."""
    parts = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        parts.append(f"{_where(loc)}: {_problem(error)}" if loc else _problem(error))
    return "; ".join(parts)
