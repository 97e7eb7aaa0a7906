"""An order's payment totals: what was authorized, captured and refunded, and what may still be refunded."""

from __future__ import annotations

from ordermesh.domain.payments import payment_totals


def test_payment_totals_count_pending_refunds_as_taken() -> None:
    money = payment_totals([("authorization", "succeeded", 100), ("capture", "succeeded", 60),
                            ("capture", "pending", 40), ("refund", "succeeded", 10), ("refund", "pending", 20),
                            ("refund", "failed", 30)])
    assert (money.authorized, money.captured, money.refunded, money.refunding, money.refundable) == (100, 60, 10,
                                                                                                    20, 30)
    assert payment_totals([("authorization", "succeeded", 100), ("void", "succeeded", 100)]).authorized == 0
    both = payment_totals([("authorization", "succeeded", 100), ("authorization", "succeeded", 30),
                           ("void", "succeeded", 30), ("void", "failed", 100)])
    assert (both.authorized, both.voided) == (100, True)
