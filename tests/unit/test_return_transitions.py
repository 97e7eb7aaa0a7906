"""The return lifecycle, checked over every (status, action) there is.

The expected lifecycle is written out here from the specification (§2: requested → authorized → received →
refunded / exchanged → closed; rejected), independently of the table in the domain, so that a wrong or
missing row in ``TRANSITIONS`` shows up as a failing combination.
"""

from __future__ import annotations

from itertools import product

import pytest

from ordermesh.domain.errors import Conflict, IllegalTransition
from ordermesh.domain.returns import (
    FINISHED,
    ReturnAction,
    ReturnStatus,
    allowed_actions,
    next_status,
    units_spoken_for,
)

S, A = ReturnStatus, ReturnAction
LIFECYCLE: dict[tuple[ReturnStatus, ReturnAction], ReturnStatus] = {
    (S.REQUESTED, A.AUTHORIZE): S.AUTHORIZED,
    (S.REQUESTED, A.REJECT): S.REJECTED,
    (S.AUTHORIZED, A.RECEIVE): S.RECEIVED,
    (S.AUTHORIZED, A.REJECT): S.REJECTED,
    (S.AUTHORIZED, A.CLOSE): S.CLOSED,
    (S.RECEIVED, A.RECEIVE): S.RECEIVED,
    (S.RECEIVED, A.REFUND): S.REFUNDED,
    (S.RECEIVED, A.EXCHANGE): S.EXCHANGED,
    (S.RECEIVED, A.CLOSE): S.CLOSED,
    (S.REFUNDED, A.CLOSE): S.CLOSED,
    (S.EXCHANGED, A.CLOSE): S.CLOSED,
}
ALLOWED = sorted(LIFECYCLE.items())
FORBIDDEN = [(s, a) for s, a in product(S, A) if (s, a) not in LIFECYCLE]


@pytest.mark.parametrize(("step", "to_status"), ALLOWED, ids=[f"{s}-{a}" for (s, a), _ in ALLOWED])
def test_every_allowed_step_leads_where_the_lifecycle_says(step: tuple[ReturnStatus, ReturnAction],
                                                           to_status: ReturnStatus) -> None:
    assert next_status(*step) is to_status


@pytest.mark.parametrize(("status", "action"), FORBIDDEN, ids=[f"{s}-{a}" for s, a in FORBIDDEN])
def test_every_other_step_is_a_409_naming_the_state(status: ReturnStatus, action: ReturnAction) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status(status, action)
    assert isinstance(refused.value, Conflict)  # the API answers 409
    assert refused.value.extra == {"current_status": status.value, "action": action.value}
    assert status.value in refused.value.detail and action.value in refused.value.detail


def test_allowed_actions_are_exactly_the_lifecycles_steps_from_each_status() -> None:
    for status in S:
        assert set(allowed_actions(status)) == {a for (s, a) in LIFECYCLE if s is status}


def test_closed_and_rejected_returns_are_final() -> None:
    assert {S.CLOSED, S.REJECTED} == FINISHED
    assert all(not allowed_actions(s) for s in FINISHED)


def test_refund_and_restock_are_separate_steps_either_may_be_skipped() -> None:
    # restock without refund: received → closed; refund without restock is a receipt of damaged units,
    # which is still a receipt, then a refund.
    assert next_status(S.RECEIVED, A.CLOSE) is S.CLOSED
    assert next_status(S.RECEIVED, A.REFUND) is S.REFUNDED


@pytest.mark.parametrize(("status", "held"), [
    (S.REQUESTED, 3), (S.AUTHORIZED, 3), (S.RECEIVED, 3),  # more units may still arrive
    (S.REFUNDED, 2), (S.EXCHANGED, 2), (S.CLOSED, 2),  # settled: only what came back
    (S.REJECTED, 0),
])
def test_a_return_holds_units_of_its_lines_until_settled(status: ReturnStatus, held: int) -> None:
    assert units_spoken_for(status, quantity=3, received=2) == held
