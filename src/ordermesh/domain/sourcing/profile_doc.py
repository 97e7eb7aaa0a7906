"""Sourcing profiles to and from JSON/YAML-shaped documents.

``parse_profile`` refuses anything it does not understand and names the exact field at fault
(``strategies[0].criteria.weights.distance``), so an operator tuning a profile sees what to fix.
``profile_to_doc`` writes every setting out explicitly: ``parse_profile(profile_to_doc(p)) == p``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import Any, TypeVar

from ordermesh.domain.catalogue import DeliveryMethod, LocationType
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing.costs import DEFAULT_CARDS, DEFAULT_RATES, RateCard, RateCards
from ordermesh.domain.sourcing.profiles import (
    DEFAULT_MAX_SPLITS,
    DEFAULT_WEIGHTS,
    Conditions,
    Criteria,
    Profile,
    Strategy,
    StrategyType,
    Weights,
)

T = TypeVar("T")
MISSING: Any = object()

STRATEGY_KEYS = ("type", "name", "conditions", "criteria", "max_splits", "min_shipment_value_minor",
                 "allow_partial", "rates")
CONDITION_KEYS = ("delivery_methods", "channels", "order_value_min_minor", "order_value_max_minor",
                  "destination_countries", "destination_regions", "sku_tags_any")
CRITERIA_KEYS = ("weights", "location_types", "location_tags_any", "max_distance_km", "min_stock_units",
                 "exclude_locations")
RATE_KEYS = ("per_parcel_minor", "per_kg_minor", "per_km_minor", "handling_minor")


def _refuse(path: str, message: str) -> InvalidInput:
    return InvalidInput(f"{path}: {message}" if path else message, field=path or None)


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _object(value: object, path: str, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _refuse(path, "must be an object")
    for key in value:
        if key not in allowed:
            raise _refuse(_at(path, str(key)), f"unknown setting {key!r}; expected one of {', '.join(allowed)}")
    return value


def _number(value: object, path: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _refuse(path, "must be a number")
    if value < 0 or (positive and value == 0):
        raise _refuse(path, "must be greater than 0" if positive else "must not be negative")
    return float(value)


def _count(value: object, path: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _refuse(path, "must be a whole number")
    if value < minimum:
        raise _refuse(path, f"must be at least {minimum}" if minimum else "must not be negative")
    return value


def _strings(value: object, path: str, *, allow_empty: bool) -> list[str]:
    if not isinstance(value, list | tuple):
        raise _refuse(path, "must be a list of strings")
    if not value and not allow_empty:
        raise _refuse(path, "an empty list matches no location; leave the setting out to allow every location")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise _refuse(_at(path, i), "must be a non-empty string")
    return [item.strip() for item in value]


def _words(value: object, path: str, *, allow_empty: bool, upper: bool = False) -> frozenset[str]:
    return frozenset(w.upper() if upper else w for w in _strings(value, path, allow_empty=allow_empty))


def _choices(value: object, path: str, allowed: Callable[[str], T], what: str, *, allow_empty: bool) -> frozenset[T]:
    out = []
    for i, item in enumerate(_strings(value, path, allow_empty=allow_empty)):
        try:
            out.append(allowed(item))
        except ValueError:
            raise _refuse(_at(path, i), f"unknown {what} {item!r}") from None
    return frozenset(out)


def _optional(doc: Mapping[str, Any], key: str, default: T, read: Callable[[object, str], T], path: str) -> T:
    value = doc.get(key, MISSING)
    return default if value is MISSING or value is None else read(value, _at(path, key))


def parse_profile(doc: Mapping[str, Any]) -> Profile:
    """A profile from its document, or InvalidInput naming the field at fault."""
    body = _object(doc, "", ("strategies", "fallback"))
    raw = body.get("strategies", [])
    if not isinstance(raw, list | tuple):
        raise _refuse("strategies", "must be a list of strategies")
    fallback = _optional(body, "fallback", None, _strategy, "")
    if not raw and fallback is None:
        raise _refuse("strategies", "a profile needs at least one strategy or a fallback")
    return Profile(tuple(_strategy(s, _at("strategies", i)) for i, s in enumerate(raw)), fallback)


def _strategy_type(value: object, path: str) -> StrategyType:
    if isinstance(value, str) and value in StrategyType.__members__.values():
        return StrategyType(value)
    raise _refuse(path, f"unknown strategy type {value!r}; expected one of {', '.join(t.value for t in StrategyType)}")


def _max_splits(doc: Mapping[str, Any], kind: StrategyType, path: str) -> int | None:
    if "max_splits" not in doc:
        return DEFAULT_MAX_SPLITS[kind]
    value = doc["max_splits"]
    splits = None if value is None else _count(value, _at(path, "max_splits"), minimum=1)
    if kind is StrategyType.NEAREST and splits != 1:
        raise _refuse(_at(path, "max_splits"), "nearest ships from a single location: max_splits must be 1")
    return splits


def _strategy(value: object, path: str) -> Strategy:
    doc = _object(value, path, STRATEGY_KEYS)
    if "type" not in doc:
        raise _refuse(_at(path, "type"), "is required")
    kind = _strategy_type(doc["type"], _at(path, "type"))
    name = _optional(doc, "name", kind.value, _name, path)
    allow_partial = _optional(doc, "allow_partial", False, _flag, path)
    return Strategy(
        kind, name,
        conditions=_optional(doc, "conditions", Conditions(), _conditions, path),
        criteria=_criteria({} if doc.get("criteria") is None else doc["criteria"], _at(path, "criteria"), kind),
        max_splits=_max_splits(doc, kind, path),
        min_shipment_value_minor=_optional(doc, "min_shipment_value_minor", 0, _count, path),
        allow_partial=allow_partial,
        rates=_optional(doc, "rates", DEFAULT_RATES, _rates, path),
    )


def _name(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _refuse(path, "must be a non-empty string")
    return value.strip()


def _flag(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise _refuse(path, "must be true or false")
    return value


def _conditions(value: object, path: str) -> Conditions:
    doc = _object(value, path, CONDITION_KEYS)

    def words(key: str, upper: bool = False) -> frozenset[str]:
        return _optional(doc, key, frozenset(), lambda v, p: _words(v, p, allow_empty=True, upper=upper), path)

    low = _optional(doc, "order_value_min_minor", None, _count, path)
    high = _optional(doc, "order_value_max_minor", None, _count, path)
    if low is not None and high is not None and low > high:
        raise _refuse(_at(path, "order_value_min_minor"), f"{low} is above order_value_max_minor {high}")
    methods: frozenset[DeliveryMethod] = _optional(doc, "delivery_methods", frozenset(),
                        lambda v, p: _choices(v, p, DeliveryMethod, "delivery method", allow_empty=True), path)
    return Conditions(methods, words("channels"), low, high, words("destination_countries", upper=True),
                      words("destination_regions", upper=True), words("sku_tags_any"))


def _weights(value: object, path: str) -> Weights:
    doc = _object(value, path, tuple(name for name, _ in Weights().items()))
    return Weights(**{key: _number(v, _at(path, key)) for key, v in doc.items()})


def _criteria(value: object, path: str, kind: StrategyType) -> Criteria:
    doc = _object(value, path, CRITERIA_KEYS)
    weights = _optional(doc, "weights", DEFAULT_WEIGHTS[kind], _weights, path)
    if weights.all_zero and kind.ranks_by_score:
        raise _refuse(_at(path, "weights"), f"{kind.value} ranks locations by score: give some weight a value above 0")
    types = _optional(doc, "location_types", None,
                      lambda v, p: _choices(v, p, LocationType, "location type", allow_empty=False), path)
    return Criteria(
        weights=weights,
        location_types=frozenset(t.value for t in types) if types is not None else None,
        location_tags_any=_optional(doc, "location_tags_any", None, lambda v, p: _words(v, p, allow_empty=False), path),
        max_distance_km=_optional(doc, "max_distance_km", None, lambda v, p: _number(v, p, positive=True), path),
        min_stock_units=_optional(doc, "min_stock_units", 0, _count, path),
        exclude_locations=_optional(doc, "exclude_locations", frozenset(),
                                    lambda v, p: _words(v, p, allow_empty=True), path),
    )


def _rates(value: object, path: str) -> RateCards:
    doc = _object(value, path, ("split_penalty_minor", "by_type"))
    penalty = _optional(doc, "split_penalty_minor", DEFAULT_RATES.split_penalty_minor, _number, path)
    given = _object(doc.get("by_type") or {}, _at(path, "by_type"), tuple(t.value for t in LocationType))
    cards = {}
    for location_type, card in given.items():
        card_path = _at(_at(path, "by_type"), location_type)
        fields = _object(card, card_path, RATE_KEYS)
        base = asdict(DEFAULT_CARDS[location_type])
        cards[location_type] = RateCard(**{k: _number(fields.get(k, base[k]), _at(card_path, k)) for k in RATE_KEYS})
    return RateCards(cards, penalty)


def profile_to_doc(profile: Profile) -> dict[str, Any]:
    """Every setting of ``profile``, spelled out, as a JSON/YAML-ready document."""
    return {"strategies": [strategy_to_doc(s) for s in profile.strategies],
            "fallback": strategy_to_doc(profile.fallback) if profile.fallback else None}


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def strategy_to_doc(s: Strategy) -> dict[str, Any]:
    c, k = s.conditions, s.criteria
    return {
        "type": s.type.value, "name": s.name,
        "conditions": {
            "delivery_methods": sorted(m.value for m in c.delivery_methods), "channels": _sorted(c.channels),
            "order_value_min_minor": c.order_value_min_minor, "order_value_max_minor": c.order_value_max_minor,
            "destination_countries": _sorted(c.destination_countries),
            "destination_regions": _sorted(c.destination_regions), "sku_tags_any": _sorted(c.sku_tags_any),
        },
        "criteria": {
            "weights": dict(k.weights.items()), "location_types": _sorted(k.location_types),
            "location_tags_any": _sorted(k.location_tags_any), "max_distance_km": k.max_distance_km,
            "min_stock_units": k.min_stock_units, "exclude_locations": _sorted(k.exclude_locations),
        },
        "max_splits": s.max_splits, "min_shipment_value_minor": s.min_shipment_value_minor,
        "allow_partial": s.allow_partial,
        "rates": {"split_penalty_minor": s.rates.split_penalty_minor,
                  "by_type": {t: asdict(card) for t, card in sorted(s.rates.by_type.items())}},
    }
