"""Settings: defaults, overridden by a TOML config file (`--config` or `$LLM_SPEND_CONFIG`)."""

from __future__ import annotations

import os
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


@dataclass(frozen=True)
class Config:
    db: Path | None = None
    batch_discount: Decimal = Decimal("0.5")
    attribution: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ATTRIBUTION))
    source: Path | None = None


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
    return Config(
        db=(path.parent / db) if db else None,
        batch_discount=discount,
        attribution=attribution,
        source=path,
    )
