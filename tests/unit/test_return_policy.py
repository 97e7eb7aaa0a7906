"""The return policy (window per channel, non-returnable SKUs) and what a return refunds, to the minor unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ordermesh.bootstrap import return_policy
from ordermesh.domain.money import LineMoney, price_lines
from ordermesh.domain.returns import ReturnNotAllowed, ReturnPolicy, UnitsToRefund, refund_value
from ordermesh.settings import Settings

SHIPPED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLICY = ReturnPolicy(default_window_days=30, window_days={"pos": 14})


def check(channel: str, *, now: datetime, tags: tuple[str, ...] = (), handed_over: datetime | None = SHIPPED) -> None:
    POLICY.check_line(field="lines[0].line_id", channel=channel, sku="TEE", sku_tags=tags,
                      handed_over_at=handed_over, now=now)


def test_a_channel_without_its_own_window_gets_the_default() -> None:
    check("web", now=SHIPPED + timedelta(days=30))
    with pytest.raises(ReturnNotAllowed) as refused:
        check("web", now=SHIPPED + timedelta(days=30, seconds=1))
    assert refused.value.field == "lines[0].line_id"
    assert "30-day return window of channel web" in refused.value.detail
    assert refused.value.extra["window_closed_at"] == "2025-03-31T12:00:00+00:00"


def test_a_channel_may_have_a_shorter_window() -> None:
    check("pos", now=SHIPPED + timedelta(days=14))
    with pytest.raises(ReturnNotAllowed, match="14-day"):
        check("pos", now=SHIPPED + timedelta(days=15))


def test_a_non_returnable_sku_is_refused_even_on_the_first_day() -> None:
    with pytest.raises(ReturnNotAllowed, match="TEE is not returnable"):
        check("web", now=SHIPPED, tags=("bulky", "non_returnable"))


def test_units_that_never_reached_the_customer_cannot_be_returned() -> None:
    with pytest.raises(ReturnNotAllowed, match="reached the customer"):
        check("web", now=SHIPPED, handed_over=None)


def test_a_refund_is_the_merchandise_of_the_units_with_their_discount_and_tax_share_but_no_shipping() -> None:
    tee, cap = price_lines([(3, 1000), (1, 500)], discount=350, shipping=490, tax=600)
    assert (tee.subtotal, tee.discount, tee.shipping, tee.tax) == (3000, 300, 420, 514)
    # 3214 over three units: 1072 + 1071 + 1071 (the odd minor unit goes to the first unit returned)
    assert [refund_value([UnitsToRefund(tee, i, 1)]) for i in range(3)] == [1072, 1071, 1071]
    assert refund_value([UnitsToRefund(tee, 0, 3), UnitsToRefund(cap, 0, 1)]) == tee.merchandise + cap.merchandise
    assert refund_value([UnitsToRefund(cap, 0, 0)]) == 0


@given(quantity=st.integers(1, 40), price=st.integers(0, 100_000), discount_share=st.integers(0, 100),
       tax=st.integers(0, 50_000), steps=st.lists(st.integers(1, 5), min_size=1, max_size=40))
def test_returning_a_line_in_any_number_of_returns_refunds_exactly_what_it_cost(
        quantity: int, price: int, discount_share: int, tax: int, steps: list[int]) -> None:
    line = price_lines([(quantity, price)], discount=quantity * price * discount_share // 100, tax=tax)[0]
    refunded, first = 0, 0
    for count in steps:
        count = min(count, quantity - first)
        refunded += refund_value([UnitsToRefund(line, first, count)])
        first += count
    if first == quantity:
        assert refunded == line.merchandise
    assert refunded <= line.merchandise


def test_units_beyond_the_line_are_a_bug_not_a_refund() -> None:
    with pytest.raises(ValueError):
        refund_value([UnitsToRefund(LineMoney(2, 2000), 1, 2)])


def test_the_environment_sets_each_channels_return_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORDERMESH_RETURN_WINDOW_DAYS", '{"web": 60, "pos": 14}')
    monkeypatch.setenv("ORDERMESH_RETURN_WINDOW_DEFAULT_DAYS", "21")
    policy = return_policy(Settings())
    assert [policy.window(c).days for c in ("web", "pos", "app")] == [60, 14, 21]
    assert return_policy(Settings()) == ReturnPolicy(21, {"web": 60, "pos": 14})


@pytest.mark.parametrize(("settings", "named"), [
    (Settings(return_window_days={"web": -1}), "ORDERMESH_RETURN_WINDOW_DAYS[web]"),
    (Settings(return_window_default_days=100_000), "ORDERMESH_RETURN_WINDOW_DEFAULT_DAYS"),
])
def test_an_absurd_return_window_stops_the_start(settings: Settings, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("[", r"\[").replace("]", r"\]")):
        return_policy(settings)
