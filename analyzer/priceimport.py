"""A rate card built from the prices the installed `genai-prices` package ships (its bundled data
snapshot, read through its API, offline): `llm-spend rates import genai-prices` and the bundled
default card (scripts/make_default_rates.py).

What becomes a card row (README "Rate card"): a model's match rule as names and glob patterns
(equals -> the name, starts_with -> `name*`, ends_with -> `*name`, contains -> `*name*`, a regex
that is a plain anchored literal with `\\d`, `\\d{n}` and `[...]` -> the same glob); token, cache,
1-hour cache-write, audio and image rates; per-request fees (per 1,000 requests / 1,000) and web
searches per 1,000; context tiers (TieredPrices) -> `input_tokens_above` rows; prices from a date ->
`valid_from` / `valid_to`; the `processing: batch` variant -> `batch` rows; `service_tier` variants
-> `service_tier` rows, from the date the variant starts. Everything else is a note: a model whose
price the card cannot state exactly (time-of-day prices, a rate with more than 12 decimals, a price
only in units llm-spend does not count) is left out, so its usage stays unpriced; a part it cannot
price (file-search calls, video tokens, ...) is named, and the rest is imported.

A name two imported providers both list gets a `provider` on each of its rows; other rows are
generic (they price that name whatever provider the usage names).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from decimal import Decimal

from analyzer.errors import SpendError, UsageError
from analyzer.money import rate_problem
from analyzer.pricematch import is_glob, match_globs
from analyzer.rates import CARD_COLUMNS, DEFAULT_TIERS, OPTIONAL_COLUMNS

HEADER = (*CARD_COLUMNS, *OPTIONAL_COLUMNS, "checked_on", "source")
INSTALL_HINT = ("rates import genai-prices needs the genai-prices package: "
                "pip install 'llm-spend[prices]' (or pip install 'genai-prices>=0.2.3,<0.3')")

# genai-prices price keys the card has a column for.
COLUMN_OF_KEY = {
    "input_mtok": "input_per_mtok", "output_mtok": "output_per_mtok",
    "cache_read_mtok": "cached_input_per_mtok", "cache_write_mtok": "cache_write_per_mtok",
    "cache_write_1h_mtok": "cache_write_1h_per_mtok",
    "input_audio_mtok": "audio_input_per_mtok", "output_audio_mtok": "audio_output_per_mtok",
    "input_image_mtok": "image_input_per_mtok", "output_image_mtok": "image_output_per_mtok",
    "web_searches_kcount": "web_search_per_k", "requests_kcount": "per_request",
}
TOKEN_COLUMNS = {"input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok",
                 "cache_write_1h_per_mtok", "audio_input_per_mtok", "audio_output_per_mtok",
                 "image_input_per_mtok", "image_output_per_mtok"}
# What the other keys price, and their unit, for the notes (llm-spend's usage does not count these).
UNCOUNTED = {
    "storage_searches_kcount": ("file-search calls", "per 1,000"), "audio_hours": ("audio hours", "an hour"),
    "input_audio_hours": ("input audio hours", "an hour"), "input_mchars": ("input characters", "per 1M"),
    "input_document_kpages": ("document pages", "per 1,000"),
    "input_annotated_document_kpages": ("annotated document pages", "per 1,000"),
    "input_video_mtok": ("video input tokens", "per 1M"), "output_video_mtok": ("video output tokens", "per 1M"),
    "output_reasoning_mtok": ("reasoning tokens at their own rate", "per 1M"),
    "output_citation_mtok": ("citation tokens", "per 1M"),
    "input_text_messages_kcount": ("text messages", "per 1,000"),
    "cache_audio_read_mtok": ("cached audio tokens at their own rate (they take the cached rate)", "per 1M"),
    "cache_image_read_mtok": ("cached image tokens at their own rate (they take the cached rate)", "per 1M"),
}
_EPOCH = datetime(1, 1, 1, tzinfo=timezone.utc)  # a time before every dated price


@dataclass(frozen=True)
class CardRow:
    """One line of an imported card (rates keyed by card column, Decimal values)."""

    model: str
    mode: str
    rates: tuple[tuple[str, Decimal], ...]
    source: str
    provider: str | None = None
    service_tier: str | None = None
    input_tokens_above: int | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def cells(self, checked_on: str, marker: str = "") -> list[str]:
        rates = dict(self.rates)
        values = {"model": self.model, "mode": self.mode, "currency": "USD", "checked_on": checked_on,
                  "provider": self.provider or "", "service_tier": self.service_tier or "",
                  "input_tokens_above": "" if self.input_tokens_above is None else str(self.input_tokens_above),
                  "valid_from": self.valid_from.isoformat() if self.valid_from else "",
                  "valid_to": self.valid_to.isoformat() if self.valid_to else "",
                  "source": self.source + marker}
        values.update({column: decimal_text(value) for column, value in rates.items()})
        return [values.get(column, "") for column in HEADER]


@dataclass
class ImportedCard:
    rows: list[CardRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    version: str = ""
    models: int = 0


class NotExpressible(Exception):
    """A model (or one of its prices) the card cannot state exactly; the message says why."""


def genai_prices():
    """The genai_prices package, or a one-line error saying what to install."""
    try:
        import genai_prices
        from genai_prices import data_snapshot  # noqa: F401  (the API this module reads)
    except ImportError:
        raise SpendError(INSTALL_HINT) from None
    return genai_prices


def decimal_text(value: Decimal) -> str:
    """A price as a plain decimal (no exponent, no trailing zeros)."""
    return format(value.normalize(), "f") if value else "0"


def import_card(provider_ids: Sequence[str] | None = None, *,
                extra_models: Iterable[tuple[str, str]] = ()) -> ImportedCard:
    """Every model of the named genai-prices providers (all providers when None), plus single
    (provider, model id) pairs, as card rows and notes on what could not be expressed."""
    gp = genai_prices()
    providers = {p.id: p for p in gp.data_snapshot.get_snapshot().providers}
    wanted = list(dict.fromkeys(provider_ids)) if provider_ids else list(providers)
    unknown = [p for p in wanted if p not in providers]
    if unknown:
        raise UsageError(f"unknown genai-prices provider {unknown[0]!r} (known: {', '.join(sorted(providers))})")
    card = ImportedCard(version=gp.__version__)
    picked = [(providers[p], list(providers[p].models)) for p in wanted]
    for provider_id, model_id in extra_models:
        models = [m for m in providers[provider_id].models if m.id == model_id] if provider_id in providers else []
        if not models:
            raise SpendError(f"genai-prices {card.version} has no model {model_id!r} for provider {provider_id!r}")
        picked.append((providers[provider_id], models))
    per_provider: list[tuple[str, list[CardRow]]] = []
    for provider, models in picked:
        rows = _provider_rows(provider, models, card)
        per_provider.append((provider.id, rows))
    owners: dict[str, set[str]] = {}
    for provider_id, rows in per_provider:
        for row in rows:
            owners.setdefault(row.model, set()).add(provider_id)
    for provider_id, rows in per_provider:
        card.rows += [replace(r, provider=provider_id) if len(owners[r.model]) > 1 else r for r in rows]
    return card


def _provider_rows(provider, models, card: ImportedCard) -> list[CardRow]:
    rows: list[CardRow] = []
    owner_of: dict[str, str] = {}  # card name -> the genai model id that took it (first match wins)
    names_of: dict[str, list[str]] = {}
    if provider.fallback_model_providers:
        card.notes.append(f"{provider.id}: models it does not list are priced by genai-prices as "
                          f"{', '.join(provider.fallback_model_providers)} price them: import those providers too")
    for model in models:
        what = f"{provider.id} {model.id}"
        names, skipped = match_globs(model.match)
        for clause in skipped:
            card.notes.append(f"{what}: match rule {clause} has no glob form; names it matches are not priced")
        taken = [n for n in names if n in owner_of and owner_of[n] != model.id]
        for name in taken:
            card.notes.append(f"{what}: {name!r} is matched first by {owner_of[name]} in genai-prices; priced as that")
        names = [n for n in dict.fromkeys(names) if n not in owner_of]
        if not names:
            continue
        try:
            priced, notes = model_rows(model, what, card.version)
        except NotExpressible as exc:
            card.notes.append(f"{what}: {exc}; not imported (its usage stays unpriced)")
            continue
        card.notes += [f"{what}: {note}" for note in notes]
        card.models += 1
        for name in names:
            owner_of[name] = model.id
            names_of.setdefault(model.id, []).append(name)
            rows += [replace(r, model=name) for r in priced]
    card.notes += _precedence_notes(provider, names_of)
    return rows


def model_rows(model, what: str, version: str) -> tuple[list[CardRow], list[str]]:
    """The rows of one genai-prices model (model name left empty) and its notes; NotExpressible
    when no exact rows can be written."""
    from genai_prices import types as t

    standard = [] if isinstance(model.prices, t.ModelPrice) else model.prices
    if any(isinstance(c.constraint, t.TimeOfDateConstraint) for c in standard):
        raise NotExpressible("prices change with the time of day (the card has dates, not hours)")
    notes: list[str] = []
    contexts: dict[tuple[str, str | None], dict] = {("serverless", None): {}}
    for variant in model.price_variants or []:
        context = _variant_context(variant, notes)
        if context is not None:
            contexts[context] = dict(variant.when)
    dates = {c.constraint.start_date for c in standard if isinstance(c.constraint, t.StartDateConstraint)}
    for variant in model.price_variants or []:
        if isinstance(variant.constraint, t.StartDateConstraint):
            dates.add(variant.constraint.start_date)
    bounds = [None, *sorted(dates), None]
    rows: list[CardRow] = []
    uncounted: dict[str, Decimal] = {}
    for (mode, tier), when in contexts.items():
        periods: list[tuple[date | None, date | None, list]] = []
        for valid_from, valid_to in zip(bounds, bounds[1:]):
            at = _EPOCH if valid_from is None else datetime.combine(valid_from, datetime.min.time(), timezone.utc)
            if when and not any(v.when == when and (v.constraint is None or v.constraint.active(at))
                                for v in model.price_variants):
                continue  # the variant has not started: the card's own rules apply (README)
            tiers = price_tiers(model.get_prices(at, when or None), uncounted, notes)
            if periods and periods[-1][1] == valid_from and periods[-1][2] == tiers:
                periods[-1] = (periods[-1][0], valid_to, tiers)
            else:
                periods.append((valid_from, valid_to, tiers))
        label = f"genai-prices {version}: {what}" + (" batch" if mode == "batch" else "") + \
            (f" {tier} tier" if tier else "")
        for valid_from, valid_to, tiers in periods:
            for above, rates in tiers:
                rows.append(CardRow("", mode, tuple(sorted(rates.items())), label, service_tier=tier,
                                    input_tokens_above=above, valid_from=valid_from, valid_to=valid_to))
    for key, value in uncounted.items():
        name, unit = UNCOUNTED.get(key, (key, "a unit"))
        notes.append(f"{name} (${decimal_text(value)} {unit}) are not counted by llm-spend: imported without them")
    return rows, list(dict.fromkeys(notes))


def _variant_context(variant, notes: list[str]) -> tuple[str, str | None] | None:
    from genai_prices import types as t

    when = variant.when
    text = ", ".join(f"{k}={v}" for k, v in when.items())
    if isinstance(variant.constraint, t.TimeOfDateConstraint):
        notes.append(f"price variant {text} changes with the time of day: not imported")
        return None
    if when == {"processing": "batch"}:
        return ("batch", None)
    if list(when) == ["service_tier"]:
        tier = when["service_tier"].strip().lower()
        if tier not in DEFAULT_TIERS:
            return ("serverless", tier)
        if any(v is not None for v in vars(variant.prices).values()):
            notes.append(f"price variant {text} has its own prices; the card's default tier is the base row: "
                         "not imported")
        return None
    notes.append(f"price variant {text}: usage records do not say it; its prices are not imported")
    return None


def price_tiers(price, uncounted: dict[str, Decimal], notes: list[str]) -> list[tuple[int | None, dict]]:
    """A resolved ModelPrice as [(input_tokens_above or None, {card column: rate})], base first."""
    from genai_prices import types as t

    values = {k: v for k, v in vars(price).items() if not k.startswith("_") and v is not None}
    if "cache_write_5m_mtok" in values:
        five = values.pop("cache_write_5m_mtok")
        if values.setdefault("cache_write_mtok", five) != five:
            notes.append("5-minute cache writes have their own rate: the cache-write rate is used")
    for key in [k for k in values if k not in COLUMN_OF_KEY]:
        uncounted.setdefault(key, _base(values.pop(key)))
    if not any(COLUMN_OF_KEY[k] in TOKEN_COLUMNS for k in values):
        if uncounted:
            raise NotExpressible("priced only by " + ", ".join(UNCOUNTED.get(k, (k,))[0] for k in uncounted)
                                 + ", which llm-spend does not count")
        if not values:
            notes.append("listed with no charge: written as 0")
    for side in ("input_mtok", "output_mtok"):
        if side not in values:
            values[side] = Decimal(0)
            if any(COLUMN_OF_KEY[k] in TOKEN_COLUMNS for k in values if values[k] and k != side):
                notes.append(f"no {side.split('_')[0]} price in genai-prices (it charges nothing for it): written as 0")
    starts = sorted({tier.start for v in values.values() if isinstance(v, t.TieredPrices) for tier in v.tiers})
    result = []
    for above in [None, *starts]:
        rates = {}
        for key, value in values.items():
            rate = _at(value, above)
            if key == "requests_kcount":
                rate = rate / 1000
            problem = rate_problem(decimal_text(rate), "per unit")
            if problem:
                raise NotExpressible(f"{key} {rate} {problem.split(' (')[0]}")
            rates[COLUMN_OF_KEY[key]] = rate
        result.append((above, rates))
    return result


def _base(value) -> Decimal:
    return value.base if hasattr(value, "tiers") else value


def _at(value, above: int | None) -> Decimal:
    """The rate for requests whose input exceeds `above` (genai-prices: a tier applies when the
    input is above its start, and then to all tokens)."""
    if not hasattr(value, "tiers"):
        return value
    rate = value.base
    for tier in value.tiers:
        if above is not None and tier.start <= above:
            rate = tier.price
    return rate


def _precedence_notes(provider, names_of: dict[str, list[str]]) -> list[str]:
    """Names where the card's rule (an exact name, then the longest pattern) picks another model
    than genai-prices (the first model of its list that matches), checked on one name per row."""
    card = [(name, model_id) for model_id, names in names_of.items() for name in names]
    notes = []
    for name, _model_id in card:
        sample = re.sub(r"\[(.)[^\]]*\]", r"\1", name).replace("*", "").replace("?", "x")
        genai = provider.find_model(sample)
        matching = [(n, m) for n, m in card if n == sample or (is_glob(n) and fnmatch.fnmatchcase(sample, n))]
        if genai is None or not matching:
            continue
        row, winner = min(matching, key=lambda nm: (is_glob(nm[0]), -len(nm[0]), nm[0]))
        if winner != genai.id:
            notes.append(f"{provider.id}: genai-prices prices {sample!r} as {genai.id}, the card as {winner} "
                         f"(row {row!r}: an exact name, then the longest pattern wins)")
    return list(dict.fromkeys(notes))


def card_csv(rows: Iterable[CardRow], checked_on: str, marker: str = "") -> str:
    """The card as CSV text: header on line 1, LF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow(row.cells(checked_on, marker))
    return out.getvalue()


def checked_card(card: ImportedCard, checked_on: str, marker: str = "",
                 extra_rows: Iterable[list[str]] = ()) -> str:
    """The card's CSV text, validated by the loader's own rules (what `rates load` would refuse is
    a bug here, never a file handed to the user)."""
    from pathlib import Path

    from analyzer.rates import parse_card

    text = card_csv(card.rows, checked_on, marker)
    if extra_rows:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(extra_rows)
        text += out.getvalue()
    parse_card(list(csv.reader(io.StringIO(text))), Path(f"genai-prices {card.version} import"))
    return text
