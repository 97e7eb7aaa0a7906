"""The fulfillment order lifecycle, checked over every (status, action, delivery method) there is.

The expected lifecycle is written out here from the specification, independently of the table in the
domain, so that a wrong or missing row in ``TRANSITIONS`` shows up as a failing combination.
"""

from __future__ import annotations

from itertools import product

import pytest

from ordermesh.domain.errors import Conflict, IllegalTransition
from ordermesh.domain.fulfillment import (
    FINISHED,
    HANDED_OVER,
    HOLDING_STOCK,
    FulfillmentAction,
    FulfillmentMethod,
    FulfillmentStatus,
    allowed_actions,
    new_pickup_code,
    next_status,
)

S, A, M = FulfillmentStatus, FulfillmentAction, FulfillmentMethod
EVERY_METHOD = frozenset(M)
# A ship-to-store transfer leaves the warehouse as a shipment and is delivered to the store.
SHIPPED_TO_CUSTOMER = frozenset({M.SHIP, M.LOCAL_DELIVERY, M.TRANSFER})
COLLECTED_AT_STORE = frozenset({M.PICKUP, M.CURBSIDE})
CURBSIDE_ONLY = frozenset({M.CURBSIDE})

# status, action → (next status, the delivery methods for which that step exists): the spec, §2.
LIFECYCLE: dict[tuple[FulfillmentStatus, FulfillmentAction], tuple[FulfillmentStatus, frozenset[FulfillmentMethod]]] = {
    (S.OPEN, A.ACCEPT): (S.ACCEPTED, EVERY_METHOD),
    (S.OPEN, A.REJECT): (S.REJECTED, EVERY_METHOD),
    (S.OPEN, A.CANCEL): (S.CANCELLED, EVERY_METHOD),
    (S.ACCEPTED, A.PICK): (S.PICKING, EVERY_METHOD),
    (S.ACCEPTED, A.REJECT): (S.REJECTED, EVERY_METHOD),
    (S.ACCEPTED, A.CANCEL): (S.CANCELLED, EVERY_METHOD),
    (S.PICKING, A.PACK): (S.PACKED, EVERY_METHOD),
    (S.PICKING, A.REJECT): (S.REJECTED, EVERY_METHOD),
    (S.PICKING, A.CANCEL): (S.CANCELLED, EVERY_METHOD),
    (S.PACKED, A.SHIP): (S.SHIPPED, SHIPPED_TO_CUSTOMER),
    (S.PACKED, A.READY): (S.READY_FOR_PICKUP, COLLECTED_AT_STORE),
    (S.PACKED, A.CANCEL): (S.CANCELLED, EVERY_METHOD),
    (S.SHIPPED, A.DELIVER): (S.DELIVERED, SHIPPED_TO_CUSTOMER),
    (S.READY_FOR_PICKUP, A.ARRIVE): (S.CUSTOMER_ARRIVED, CURBSIDE_ONLY),
    (S.READY_FOR_PICKUP, A.PICKUP): (S.PICKED_UP, COLLECTED_AT_STORE),
    (S.READY_FOR_PICKUP, A.CANCEL): (S.CANCELLED, COLLECTED_AT_STORE),
    (S.READY_FOR_PICKUP, A.EXPIRE): (S.EXPIRED, COLLECTED_AT_STORE),
    (S.CUSTOMER_ARRIVED, A.PICKUP): (S.PICKED_UP, CURBSIDE_ONLY),
    (S.CUSTOMER_ARRIVED, A.CANCEL): (S.CANCELLED, CURBSIDE_ONLY),
    (S.CUSTOMER_ARRIVED, A.EXPIRE): (S.EXPIRED, CURBSIDE_ONLY),
}
EVERY_COMBINATION = list(product(S, A, M))
ALLOWED = [(s, a, m) for s, a, m in EVERY_COMBINATION if (s, a) in LIFECYCLE and m in LIFECYCLE[(s, a)][1]]
FORBIDDEN = [(s, a, m) for s, a, m in EVERY_COMBINATION if (s, a, m) not in set(ALLOWED)]


def _id(combo: tuple[FulfillmentStatus, FulfillmentAction, FulfillmentMethod]) -> str:
    return "-".join(x.value for x in combo)


def test_the_combinations_cover_the_whole_cross_product() -> None:
    assert len(ALLOWED) + len(FORBIDDEN) == len(S) * len(A) * len(M)
    assert len(ALLOWED) == 68  # a changed lifecycle must be a conscious change to this file too


@pytest.mark.parametrize("combo", ALLOWED, ids=_id)
def test_every_allowed_step_leads_where_the_lifecycle_says(combo: tuple[S, A, M]) -> None:
    status, action, method = combo
    assert next_status(status, action, method) is LIFECYCLE[(status, action)][0]
    assert action in allowed_actions(status, method)


@pytest.mark.parametrize("combo", FORBIDDEN, ids=_id)
def test_every_other_step_is_refused_as_an_illegal_transition(combo: tuple[S, A, M]) -> None:
    status, action, method = combo
    with pytest.raises(IllegalTransition) as refused:
        next_status(status, action, method)
    error = refused.value
    assert isinstance(error, Conflict)  # answered with 409
    assert error.slug == "illegal-transition" and error.field == "action"
    assert error.extra == {"current_status": status.value, "action": action.value}
    assert action.value in error.detail
    assert action not in allowed_actions(status, method)


@pytest.mark.parametrize("method", list(M))
def test_shipping_is_only_for_parcels_and_collection_only_for_stores(method: FulfillmentMethod) -> None:
    at_packed = set(allowed_actions(S.PACKED, method))
    if method in SHIPPED_TO_CUSTOMER:
        assert A.SHIP in at_packed and A.READY not in at_packed
    else:
        assert A.READY in at_packed and A.SHIP not in at_packed
    arriving = A.ARRIVE in allowed_actions(S.READY_FOR_PICKUP, method)
    assert arriving is (method is M.CURBSIDE)


def test_a_wrong_method_is_named_in_the_refusal() -> None:
    with pytest.raises(IllegalTransition, match="cannot ship a pickup fulfillment order"):
        next_status(S.PACKED, A.SHIP, M.PICKUP)
    with pytest.raises(IllegalTransition, match="cannot arrive a pickup fulfillment order"):
        next_status(S.READY_FOR_PICKUP, A.ARRIVE, M.PICKUP)


@pytest.mark.parametrize("status", sorted(FINISHED))
@pytest.mark.parametrize("method", list(M))
def test_a_finished_fulfillment_order_allows_nothing_more(status: FulfillmentStatus, method: FulfillmentMethod) -> None:
    assert allowed_actions(status, method) == []


@pytest.mark.parametrize("method", list(M))
def test_every_method_has_a_happy_path_from_open_to_handed_over(method: FulfillmentMethod) -> None:
    path = [A.ACCEPT, A.PICK, A.PACK]
    path += [A.SHIP, A.DELIVER] if method in SHIPPED_TO_CUSTOMER else [A.READY]
    path += [A.ARRIVE] if method is M.CURBSIDE else []
    path += [A.PICKUP] if method in COLLECTED_AT_STORE else []
    status = S.OPEN
    for action in path:
        status = next_status(status, action, method)
    assert status is (S.DELIVERED if method in SHIPPED_TO_CUSTOMER else S.PICKED_UP)


def test_stock_is_either_held_at_the_location_or_handed_over_never_both() -> None:
    assert not HOLDING_STOCK & HANDED_OVER
    # Units are still reserved exactly while the work can be called off: nothing is ever stranded.
    cancellable = {s for s in S if any(A.CANCEL in allowed_actions(s, m) for m in M)}
    assert cancellable == HOLDING_STOCK
    assert not cancellable & HANDED_OVER


def test_pickup_codes_are_six_digits_and_not_repeated() -> None:
    codes = {new_pickup_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 190  # 200 draws from a million collide rarely; a constant code would not
