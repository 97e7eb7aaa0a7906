"""Sourcing profiles: parsed from JSON/YAML-shaped documents, refused naming the exact field, round-tripped."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.sourcing import (
    DEFAULT_PROFILE,
    Conditions,
    Criteria,
    Profile,
    RateCard,
    RateCards,
    Strategy,
    StrategyType,
    Weights,
    default_strategy,
    parse_profile,
    profile_to_doc,
)
from tests.unit.sourcing.builders import TEE, shipping


def test_a_strategy_needs_only_its_type_and_each_type_has_its_defaults() -> None:
    profile = parse_profile({"strategies": [{"type": t.value} for t in StrategyType]})
    nearest, fewest, priority, stock, cheapest = profile.strategies
    assert nearest.max_splits == 1 and nearest.criteria.weights == Weights(distance=1.0)
    assert fewest.max_splits is None and priority.max_splits is None and stock.max_splits is None
    assert priority.criteria.weights == Weights(priority=1.0) and stock.criteria.weights == Weights(stock=1.0)
    assert cheapest.max_splits == 3 and cheapest.rates == RateCards()
    assert [s.name for s in profile.strategies] == [t.value for t in StrategyType]
    assert profile.fallback is None and nearest.conditions == Conditions() and not nearest.allow_partial


def test_every_setting_is_read() -> None:
    profile = parse_profile({
        "strategies": [{
            "type": "min_cost", "name": "cheap big orders",
            "conditions": {"delivery_methods": ["ship"], "channels": ["web"], "order_value_min_minor": 5000,
                           "order_value_max_minor": 90000, "destination_countries": ["de"],
                           "destination_regions": ["by"], "sku_tags_any": ["bulky"]},
            "criteria": {"weights": {"cost": 2, "distance": 0.5}, "location_types": ["warehouse", "store"],
                         "location_tags_any": ["north"], "max_distance_km": 400, "min_stock_units": 2,
                         "exclude_locations": ["WH-9"]},
            "max_splits": None, "min_shipment_value_minor": 1500, "allow_partial": True,
            "rates": {"split_penalty_minor": 250, "by_type": {"store": {"per_kg_minor": 120}}},
        }],
        "fallback": {"type": "fewest_splits"},
    })
    s = profile.strategies[0]
    assert s.name == "cheap big orders" and s.max_splits is None and s.allow_partial
    assert s.conditions == Conditions(frozenset({DeliveryMethod.SHIP}), frozenset({"web"}), 5000, 90000,
                                      frozenset({"DE"}), frozenset({"BY"}), frozenset({"bulky"}))
    assert s.criteria == Criteria(Weights(distance=0.5, cost=2.0), frozenset({"warehouse", "store"}),
                                  frozenset({"north"}), 400.0, 2, frozenset({"WH-9"}))
    assert s.min_shipment_value_minor == 1500 and s.rates.split_penalty_minor == 250
    assert s.rates.by_type["store"] == RateCard(550, 120, 0.5, 350)  # the rest of the store card is the default
    assert profile.fallback == default_strategy(StrategyType.FEWEST_SPLITS)


BAD: list[tuple[Any, str | None, str]] = [
    ([], None, "must be an object"),
    ({"strategies": [], "colour": "red"}, "colour", "unknown setting"),
    ({}, "strategies", "at least one strategy"),
    ({"strategies": "nearest"}, "strategies", "list"),
    ({"strategies": [{}]}, "strategies[0].type", "required"),
    ({"strategies": [{"type": "cheapest"}]}, "strategies[0].type", "unknown strategy type"),
    ({"strategies": [{"type": 3}]}, "strategies[0].type", "unknown strategy type"),
    ({"strategies": [{"type": "nearest", "speed": 1}]}, "strategies[0].speed", "unknown setting"),
    ({"strategies": [{"type": "nearest", "criteria": {"colour": "red"}}]}, "strategies[0].criteria.colour",
     "unknown setting"),
    ({"strategies": [{"type": "nearest", "criteria": {"weights": {"beauty": 1}}}]},
     "strategies[0].criteria.weights.beauty", "unknown setting"),
    ({"strategies": [{"type": "nearest", "criteria": {"weights": {"distance": -1}}}]},
     "strategies[0].criteria.weights.distance", "negative"),
    ({"strategies": [{"type": "priority"}, {"type": "nearest", "criteria": {"weights": {"stock": "a lot"}}}]},
     "strategies[1].criteria.weights.stock", "number"),
    ({"strategies": [{"type": "nearest", "criteria": {"weights": {"stock": True}}}]},
     "strategies[0].criteria.weights.stock", "number"),
    ({"strategies": [{"type": "nearest", "criteria": {"weights": {"stock": float("nan")}}}]},
     "strategies[0].criteria.weights.stock", "number"),
    ({"strategies": [{"type": "highest_stock", "criteria": {"weights": {"stock": 0, "distance": 0}}}]},
     "strategies[0].criteria.weights", "above 0"),
    ({"strategies": [{"type": "fewest_splits", "max_splits": 0}]}, "strategies[0].max_splits", "at least 1"),
    ({"strategies": [{"type": "fewest_splits", "max_splits": 1.5}]}, "strategies[0].max_splits", "whole number"),
    ({"strategies": [{"type": "nearest", "max_splits": 2}]}, "strategies[0].max_splits", "single location"),
    ({"strategies": [{"type": "priority", "min_shipment_value_minor": -1}]},
     "strategies[0].min_shipment_value_minor", "negative"),
    ({"strategies": [{"type": "priority", "conditions": {"order_value_min_minor": -5}}]},
     "strategies[0].conditions.order_value_min_minor", "negative"),
    ({"strategies": [{"type": "priority", "conditions": {"order_value_min_minor": 500,
                                                         "order_value_max_minor": 100}}]},
     "strategies[0].conditions.order_value_min_minor", "above order_value_max_minor"),
    ({"strategies": [{"type": "priority", "conditions": {"delivery_methods": ["ship", "drone"]}}]},
     "strategies[0].conditions.delivery_methods[1]", "unknown delivery method"),
    ({"strategies": [{"type": "priority", "conditions": {"channels": "web"}}]},
     "strategies[0].conditions.channels", "list"),
    ({"strategies": [{"type": "priority", "criteria": {"location_types": []}}]},
     "strategies[0].criteria.location_types", "matches no location"),
    ({"strategies": [{"type": "priority", "criteria": {"location_types": ["castle"]}}]},
     "strategies[0].criteria.location_types[0]", "unknown location type"),
    ({"strategies": [{"type": "priority", "criteria": {"location_tags_any": []}}]},
     "strategies[0].criteria.location_tags_any", "matches no location"),
    ({"strategies": [{"type": "priority", "criteria": {"max_distance_km": 0}}]},
     "strategies[0].criteria.max_distance_km", "greater than 0"),
    ({"strategies": [{"type": "priority", "criteria": {"min_stock_units": -1}}]},
     "strategies[0].criteria.min_stock_units", "negative"),
    ({"strategies": [{"type": "priority", "criteria": {"exclude_locations": ["WH-1", ""]}}]},
     "strategies[0].criteria.exclude_locations[1]", "non-empty"),
    ({"strategies": [{"type": "priority", "allow_partial": "yes"}]}, "strategies[0].allow_partial", "true or false"),
    ({"strategies": [{"type": "priority", "name": ""}]}, "strategies[0].name", "non-empty"),
    ({"strategies": [{"type": "min_cost", "rates": {"by_type": {"castle": {}}}}]},
     "strategies[0].rates.by_type.castle", "unknown setting"),
    ({"strategies": [{"type": "min_cost", "rates": {"by_type": {"store": {"per_km_minor": -0.1}}}}]},
     "strategies[0].rates.by_type.store.per_km_minor", "negative"),
    ({"strategies": [{"type": "min_cost", "rates": {"split_penalty_minor": "high"}}]},
     "strategies[0].rates.split_penalty_minor", "number"),
    ({"strategies": [], "fallback": {"type": "teleport"}}, "fallback.type", "unknown strategy type"),
]


@pytest.mark.parametrize(("doc", "field", "words"), BAD, ids=[f"{i}:{b[1]}" for i, b in enumerate(BAD)])
def test_a_bad_profile_is_refused_naming_the_field(doc: Any, field: str | None, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_profile(doc)
    assert refused.value.field == field
    assert words in refused.value.detail
    if field:
        assert refused.value.detail.startswith(f"{field}: ")


def test_min_cost_may_have_all_weights_zero_as_it_optimises_cost_not_scores() -> None:
    doc = {"strategies": [{"type": "min_cost", "criteria": {"weights": {"cost": 0}}}]}
    assert parse_profile(doc).strategies[0].criteria.weights.all_zero


def test_empty_conditions_match_every_order() -> None:
    profile = parse_profile({"strategies": [{"type": "nearest", "conditions": {"delivery_methods": [],
                                                                                "channels": []}}]})
    assert profile.strategies[0].conditions.mismatch(shipping(channel="pos"), {TEE: 1}) is None


def test_the_default_profile_is_valid_and_round_trips() -> None:
    assert parse_profile(profile_to_doc(DEFAULT_PROFILE)) == DEFAULT_PROFILE
    cheapest, = DEFAULT_PROFILE.strategies
    assert cheapest.type is StrategyType.MIN_COST and cheapest.max_splits == 3
    assert cheapest.conditions.delivery_methods == {DeliveryMethod.SHIP, DeliveryMethod.LOCAL_DELIVERY}
    assert DEFAULT_PROFILE.fallback is not None and DEFAULT_PROFILE.fallback.type is StrategyType.FEWEST_SPLITS


def test_a_document_written_out_is_json_ready() -> None:
    import json

    doc = profile_to_doc(DEFAULT_PROFILE)
    assert json.loads(json.dumps(doc)) == doc


words = st.frozensets(st.sampled_from(["a", "b", "c"]), max_size=2)
some_words = st.frozensets(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=2)


@st.composite
def profiles(draw: st.DrawFn) -> Profile:
    def strategy() -> Strategy:
        kind = draw(st.sampled_from(list(StrategyType)))
        low = draw(st.one_of(st.none(), st.integers(0, 100)))
        high = draw(st.one_of(st.none(), st.integers(low or 0, 200)))
        weights = Weights(*draw(st.lists(st.floats(0, 10), min_size=5, max_size=5)))
        if weights.all_zero and kind.ranks_by_score:
            weights = Weights(stock=1.0)
        card = RateCard(*draw(st.lists(st.floats(0, 1000), min_size=4, max_size=4)))
        return Strategy(
            kind, draw(st.sampled_from(["one", "two"])),
            Conditions(draw(st.frozensets(st.sampled_from(list(DeliveryMethod)))), draw(words), low, high,
                       frozenset(w.upper() for w in draw(words)), frozenset(w.upper() for w in draw(words)),
                       draw(words)),
            Criteria(weights, draw(st.one_of(st.none(), st.just(frozenset({"store"})))),
                     draw(st.one_of(st.none(), some_words)), draw(st.one_of(st.none(), st.floats(1, 500))),
                     draw(st.integers(0, 3)), draw(words)),
            max_splits=1 if kind is StrategyType.NEAREST else draw(st.one_of(st.none(), st.integers(1, 5))),
            min_shipment_value_minor=draw(st.integers(0, 5000)), allow_partial=draw(st.booleans()),
            rates=RateCards({"store": card}, draw(st.floats(0, 500))),
        )

    strategies = tuple(strategy() for _ in range(draw(st.integers(0, 3))))
    return Profile(strategies, strategy() if not strategies or draw(st.booleans()) else None)


@settings(max_examples=150, deadline=None)
@given(profile=profiles())
def test_any_profile_survives_a_round_trip(profile: Profile) -> None:
    assert parse_profile(profile_to_doc(profile)) == profile
