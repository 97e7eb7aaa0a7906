"""The rule-based strategies, each given the eligible locations best first."""

from __future__ import annotations

from ordermesh.domain.sourcing import Infeasible
from ordermesh.domain.sourcing.strategies import fewest_splits, highest_stock, nearest, priority
from tests.unit.sourcing.builders import BERLIN, CAP, HAMBURG, MUG, MUNICH, POTSDAM, TEE, place, units_at

BER = place(1, "BER", BERLIN, {TEE: 2})
POT = place(2, "POT", POTSDAM, {TEE: 5, CAP: 1})
HAM = place(3, "HAM", HAMBURG, {TEE: 9, CAP: 9, MUG: 9})
MUC = place(4, "MUC", MUNICH, {MUG: 1})


def test_nearest_takes_the_best_ranked_location_that_has_every_line() -> None:
    assert units_at(nearest([BER, POT, HAM], {TEE: 3})) == {(2, TEE): 3}
    assert units_at(nearest([BER, POT, HAM], {TEE: 1, MUG: 1})) == {(3, TEE): 1, (3, MUG): 1}


def test_nearest_fails_when_no_one_location_has_everything_naming_each_sku() -> None:
    result = nearest([BER, MUC], {TEE: 1, MUG: 1})
    assert isinstance(result, Infeasible)
    assert result.summary == "no single eligible location has every line"
    assert result.reasons == {TEE: "needs more than 1 location", MUG: "needs more than 1 location"}
    short = nearest([BER], {TEE: 3})
    assert isinstance(short, Infeasible) and short.reasons == {TEE: "not enough stock at eligible locations"}


def test_fewest_splits_prefers_one_farther_location_to_two_near_ones() -> None:
    assert units_at(fewest_splits([BER, POT, HAM], {TEE: 1, MUG: 1}, None)) == {(3, TEE): 1, (3, MUG): 1}


def test_fewest_splits_picks_the_best_ranked_pair() -> None:
    assert units_at(fewest_splits([BER, POT, MUC], {TEE: 1, MUG: 1}, None)) == {(1, TEE): 1, (4, MUG): 1}


def test_fewest_splits_goes_beyond_pairs_greedily_the_better_ranked_giving_first() -> None:
    # No pair of BER, POT, MUC has six TEEs and a MUG: all three ship.
    assert units_at(fewest_splits([BER, POT, MUC], {TEE: 6, MUG: 1}, None)) == {(1, TEE): 2, (2, TEE): 4, (4, MUG): 1}


def test_fewest_splits_respects_max_splits() -> None:
    assert isinstance(fewest_splits([BER, POT, MUC], {TEE: 6, MUG: 1}, 2), Infeasible)
    result = fewest_splits([BER, MUC], {TEE: 1, MUG: 1}, 1)
    assert isinstance(result, Infeasible) and result.reasons[MUG] == "needs more than 1 location"


def test_fewest_splits_ranks_pairs_by_the_badness_given() -> None:
    a, b, c = place(1, "A", BERLIN, {TEE: 1}), place(2, "B", BERLIN, {CAP: 1}), place(3, "C", BERLIN, {CAP: 1})
    assert units_at(fewest_splits([a, b, c], {TEE: 1, CAP: 1}, None, {1: 0.0, 2: 0.9, 3: 0.1})) == {
        (1, TEE): 1, (3, CAP): 1}


def test_priority_fills_in_rank_order_skipping_locations_that_add_nothing() -> None:
    plan = priority([MUC, BER, POT, HAM], {TEE: 4, CAP: 1}, None)
    assert units_at(plan) == {(1, TEE): 2, (2, TEE): 2, (2, CAP): 1}


def test_priority_respects_max_splits() -> None:
    result = priority([BER, POT, HAM], {TEE: 8}, 2)
    assert isinstance(result, Infeasible) and result.reasons == {TEE: "needs more than 2 locations"}
    assert units_at(priority([BER, POT, HAM], {TEE: 7}, 2)) == {(1, TEE): 2, (2, TEE): 5}


def test_highest_stock_takes_the_locations_in_the_order_given_greedily() -> None:
    assert units_at(highest_stock([HAM, POT], {TEE: 3, CAP: 1}, 1)) == {(3, TEE): 3, (3, CAP): 1}
    assert isinstance(highest_stock([BER, POT], {TEE: 9}, None), Infeasible)
