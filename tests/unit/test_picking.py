"""What pickers and packers report, checked against the units a fulfillment order holds; and the service
levels that set its deadlines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.fulfillment import FulfillmentMethod, FulfillmentPolicy, pickup_code_matches
from ordermesh.domain.picking import MAX_PARCEL_GRAMS, LineFound, Parcel, ParcelItem, check_parcels, shortfall

HOLDING = {"oln_a": 3, "oln_b": 1}


def refused(call: object, field: str) -> InvalidInput:
    assert callable(call)
    with pytest.raises(InvalidInput) as error:
        call()
    assert error.value.field == field, error.value.detail
    assert error.value.detail.startswith(field)
    return error.value


def test_only_the_missing_units_of_a_short_pick_are_reported() -> None:
    assert shortfall([LineFound("oln_a", 1)], HOLDING) == {"oln_a": 2}
    assert shortfall([LineFound("oln_a", 3), LineFound("oln_b", 0)], HOLDING) == {"oln_b": 1}
    assert shortfall([], HOLDING) == {}  # lines not mentioned were found in full


@pytest.mark.parametrize(("found", "field"), [
    ([LineFound("oln_x", 1)], "lines[0].line_id"),
    ([LineFound("oln_b", 1), LineFound("oln_a", 4)], "lines[1].quantity_found"),
    ([LineFound("oln_a", -1)], "lines[0].quantity_found"),
    ([LineFound("oln_a", 1), LineFound("oln_a", 2)], "lines[1].line_id"),
])
def test_a_short_pick_naming_unknown_lines_or_impossible_counts_is_refused(found: list[LineFound],
                                                                          field: str) -> None:
    refused(lambda: shortfall(found, HOLDING), field)


def test_parcels_may_or_may_not_say_what_is_in_them() -> None:
    check_parcels([Parcel(1200)], HOLDING)
    check_parcels([Parcel(800, (ParcelItem("oln_a", 3),)), Parcel(300, (ParcelItem("oln_b", 1),))], HOLDING)
    check_parcels([Parcel(800, (ParcelItem("oln_a", 2),)), Parcel(300)], HOLDING)  # the rest in the second


@pytest.mark.parametrize(("parcels", "field"), [
    ([Parcel(0)], "parcels[0].weight_grams"),
    ([Parcel(100), Parcel(-5)], "parcels[1].weight_grams"),
    ([Parcel(MAX_PARCEL_GRAMS + 1)], "parcels[0].weight_grams"),
    ([Parcel(100, (ParcelItem("oln_x", 1),))], "parcels[0].items[0].line_id"),
    ([Parcel(100, (ParcelItem("oln_a", 2),)), Parcel(100, (ParcelItem("oln_a", 2),))], "parcels[1].items[0].quantity"),
    ([Parcel(100, (ParcelItem("oln_a", 3),))], "parcels"),  # every parcel itemised, oln_b in none
])
def test_impossible_parcels_are_refused_naming_the_field(parcels: list[Parcel], field: str) -> None:
    refused(lambda: check_parcels(parcels, HOLDING), field)


NOON = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_deadlines_follow_the_policy_per_method() -> None:
    policy = FulfillmentPolicy(accept_within=timedelta(minutes=30), due_hours={"ship": 6})
    assert policy.accept_by(FulfillmentMethod.SHIP, NOON) == NOON + timedelta(minutes=30)
    assert policy.accept_by(FulfillmentMethod.TRANSFER, NOON) == NOON + timedelta(minutes=30)
    assert policy.due_at(FulfillmentMethod.SHIP, NOON) == NOON + timedelta(hours=6)
    assert policy.due_at(FulfillmentMethod.CURBSIDE, NOON) == NOON + timedelta(hours=2)  # the default
    assert policy.collect_by(NOON) == NOON + timedelta(days=3)


@pytest.mark.parametrize("method", [FulfillmentMethod.PICKUP, FulfillmentMethod.CURBSIDE])
def test_a_collected_order_has_no_acceptance_deadline(method: FulfillmentMethod) -> None:
    # Only the chosen store can serve it: re-sourcing it on a deadline could only cancel it.
    assert FulfillmentPolicy().accept_by(method, NOON) is None


def test_pickup_codes_match_only_exactly() -> None:
    assert pickup_code_matches("012345", "012345")
    assert not pickup_code_matches("012345", "012346")
    assert not pickup_code_matches("012345", None)
    assert not pickup_code_matches(None, "012345")
