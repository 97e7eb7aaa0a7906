"""Outcomes summed up per profile, and two profiles side by side."""

from __future__ import annotations

import json

import pytest
from rich.console import Console

from ordermesh.service.simulation.report import (
    Outcome,
    Shipment,
    Summary,
    render_comparison,
    summarise,
    summary_to_dict,
)


def placed(external_id: str, *shipments: tuple[str, float], requested: int, allocated: int | None = None,
           cost: int | None = 1_000, overflow: bool = False) -> Outcome:
    return Outcome(external_id, True, None, tuple(Shipment(code, km) for code, km in shipments), len(shipments),
                   cost, overflow, requested, requested if allocated is None else allocated)


def refused(external_id: str, reason: str, requested: int) -> Outcome:
    return Outcome(external_id, False, reason, (), 0, None, False, requested, 0)


OUTCOMES = [
    placed("A", ("WH-DALLAS", 100.0), requested=2, cost=1_500),
    placed("B", ("ST-CHICAGO", 10.0), ("WH-DALLAS", 1_300.0), requested=3, cost=2_500, overflow=True),
    placed("C", ("ST-QUEENS", 5.0), requested=1, cost=None),
    placed("D", ("WH-DALLAS", 85.0), requested=4, allocated=3),  # a line partly allocated
    refused("E", "insufficient-stock", requested=2),
    refused("F", "insufficient-stock", requested=1),
    refused("G", "no-capable-location", requested=1),
]


def test_summarise_counts_orders_units_and_refusals() -> None:
    summary = summarise(OUTCOMES)
    assert (summary.orders, summary.placed, summary.refused) == (7, 4, 3)
    assert (summary.units_requested, summary.units_allocated) == (14, 9)
    assert summary.refusals == {"insufficient-stock": 2, "no-capable-location": 1}


def test_fill_rate_is_units_allocated_over_units_requested_across_all_orders() -> None:
    assert summarise(OUTCOMES).fill_rate == pytest.approx(9 / 14)


def test_split_rate_is_the_share_of_placed_orders_from_more_than_one_location() -> None:
    summary = summarise(OUTCOMES)
    assert summary.split_rate == pytest.approx(1 / 4)
    assert summary.parcels == 5
    assert summary.parcels_per_placed_order == pytest.approx(5 / 4)


def test_mean_distance_is_per_shipment_not_per_order() -> None:
    summary = summarise(OUTCOMES)
    assert summary.shipments == 5
    assert summary.mean_distance_km == pytest.approx((100 + 10 + 1_300 + 5 + 85) / 5)


def test_cost_totals_the_known_costs_and_counts_the_orders_without_one() -> None:
    summary = summarise(OUTCOMES)
    assert summary.total_cost_minor == 1_500 + 2_500 + 1_000
    assert summary.orders_without_cost == 1
    assert summary.capacity_overflows == 1


def test_a_refusal_without_a_reason_is_counted_as_unknown() -> None:
    summary = summarise([Outcome("X", False, None, (), 0, None, False, 1, 0)])
    assert summary.refusals == {"unknown": 1}


def test_nothing_to_summarise_gives_no_rates_rather_than_zeros() -> None:
    summary = summarise([])
    assert summary.orders == 0
    assert summary.fill_rate is None
    assert summary.split_rate is None
    assert summary.mean_distance_km is None
    assert summary.total_cost_minor is None


def test_summary_to_dict_is_plain_json() -> None:
    data = json.loads(json.dumps(summary_to_dict(summarise(OUTCOMES))))
    assert data["orders"] == 7
    assert data["refused"] == 3
    assert data["fill_rate"] == pytest.approx(9 / 14)
    assert data["refusals"] == {"insufficient-stock": 2, "no-capable-location": 1}
    assert data["total_cost_minor"] == 5_000


def rendered(a_name: str, a: Summary, b_name: str, b: Summary, currency: str | None = None) -> str:
    console = Console(record=True, width=120)
    console.print(render_comparison(a_name, a, b_name, b, currency=currency))
    return console.export_text()


def row(text: str, label: str) -> str:
    return next(line for line in text.splitlines() if label in line)


def better(text: str, label: str) -> str:
    """The last column of a metric's row: the profile that did better on it."""
    return row(text, label).split("│")[-2].strip()


BASELINE = summarise(OUTCOMES)
CHALLENGER = summarise([
    placed("A", ("WH-DALLAS", 100.0), requested=2, cost=1_200),
    placed("B", ("WH-DALLAS", 1_300.0), requested=3, cost=2_000),
    placed("C", ("ST-QUEENS", 5.0), requested=1, cost=None),
    placed("D", ("WH-DALLAS", 85.0), requested=4),
    placed("E", ("WH-DALLAS", 90.0), requested=2, cost=900),
    refused("F", "insufficient-stock", requested=1),
    refused("G", "no-capable-location", requested=1),
])


def test_the_comparison_names_both_profiles_and_shows_their_figures() -> None:
    text = rendered("nearest", BASELINE, "min-cost", CHALLENGER)
    assert "nearest" in text and "min-cost" in text
    fill = row(text, "Fill rate")
    assert "64.3%" in fill and "85.7%" in fill and "+21.4 pp" in fill
    assert "5,000" in row(text, "Total cost") and "5,100" in row(text, "Total cost")


def test_the_comparison_marks_which_profile_is_better_in_the_right_direction() -> None:
    text = rendered("nearest", BASELINE, "min-cost", CHALLENGER)
    assert better(text, "Fill rate") == "min-cost"  # higher is better
    assert better(text, "Split rate") == "min-cost"  # lower is better: 25% → 0%
    assert better(text, "Total cost") == "nearest"  # lower is better: 5,000 beats 5,100
    assert better(text, "Orders") == ""  # neither: both ran the same stream
    assert "lower" in row(text, "Split rate") and "higher" in row(text, "Fill rate")


def test_the_comparison_lists_every_refusal_reason_of_either_side() -> None:
    text = rendered("nearest", BASELINE, "min-cost", CHALLENGER)
    assert "-1" in row(text, "refused: insufficient-stock")
    assert better(text, "refused: no-capable-location") == "="


def test_the_comparison_formats_money_in_the_currency_when_given() -> None:
    text = rendered("nearest", BASELINE, "min-cost", CHALLENGER, currency="USD")
    cost = row(text, "Total cost")
    assert "50.00 USD" in cost and "51.00 USD" in cost and "+1.00 USD" in cost


def test_a_metric_missing_on_one_side_shows_a_dash() -> None:
    text = rendered("a", summarise([]), "b", CHALLENGER)
    assert "—" in row(text, "Fill rate")
