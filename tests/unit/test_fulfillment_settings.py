"""The store-fulfillment settings become the service levels once, at start-up, and bad ones stop it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ordermesh.bootstrap import fulfillment_policy
from ordermesh.domain.fulfillment import DEFAULT_DUE_HOURS
from ordermesh.settings import Settings


def test_the_environment_sets_the_service_levels(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERMESH_ACCEPT_SLA_MINUTES", "45")
    monkeypatch.setenv("ORDERMESH_PICKUP_HOLD_DAYS", "5")
    monkeypatch.setenv("ORDERMESH_FULFILLMENT_DUE_HOURS", '{"ship": 12}')
    policy = fulfillment_policy(Settings())
    assert policy.accept_within == timedelta(minutes=45) and policy.pickup_hold == timedelta(days=5)
    assert policy.due_hours == {**DEFAULT_DUE_HOURS, "ship": 12}


def test_the_defaults_are_two_hours_to_accept_and_three_days_to_collect() -> None:
    policy = fulfillment_policy(Settings())
    assert policy.accept_within == timedelta(minutes=120) and policy.pickup_hold == timedelta(days=3)


@pytest.mark.parametrize(("settings", "named"), [
    (Settings(fulfillment_due_hours={"teleport": 1}), "teleport"),
    (Settings(accept_sla_minutes=0), "ORDERMESH_ACCEPT_SLA_MINUTES"),
    (Settings(pickup_hold_days=-1), "ORDERMESH_PICKUP_HOLD_DAYS"),
    (Settings(fulfillment_due_hours={"ship": 0}), "ORDERMESH_FULFILLMENT_DUE_HOURS[ship]"),
])
def test_impossible_service_levels_are_refused_by_name(settings: Settings, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("[", r"\[")):
        fulfillment_policy(settings)
