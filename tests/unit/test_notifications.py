"""Which event tells the customer what, what the customer is shown, and how a message is rendered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ordermesh.adapters.notify.render import render
from ordermesh.adapters.notify.smtp import SmtpSender
from ordermesh.domain.fulfillment import FulfillmentMethod, FulfillmentStatus
from ordermesh.domain.notifications import (
    CUSTOMER_STATUS,
    NOTIFYING_EVENTS,
    OutgoingMessage,
    Template,
    customer_status,
    first_name,
    fulfillment_label,
    is_stale,
    return_label,
    shown_to_customer,
    shows_pickup_code,
    still_worth_sending,
    template_for,
)
from ordermesh.domain.orders import OrderStatus
from ordermesh.domain.returns import ReturnStatus

S = FulfillmentStatus


@pytest.mark.parametrize(("event", "method", "template"), [
    ("order.created", None, Template.ORDER_CONFIRMED),
    ("fulfillment_order.ready_for_pickup", "pickup", Template.READY_FOR_PICKUP),
    ("fulfillment_order.ready_for_pickup", "curbside", Template.READY_FOR_PICKUP),
    ("fulfillment_order.shipped", "ship", Template.SHIPPED),
    ("fulfillment_order.shipped", "local_delivery", Template.SHIPPED),
    ("payment.refunded", None, Template.REFUND_ISSUED),
])
def test_each_customer_facing_event_has_its_template(event: str, method: str | None, template: Template) -> None:
    assert template_for(event, method=method) is template
    assert event in NOTIFYING_EVENTS


@pytest.mark.parametrize("event", ["order.cancelled", "fulfillment_order.accepted", "fulfillment_order.packed",
                                   "fulfillment_order.rejected", "inventory.reserved", "order.lines_cancelled", ""])
def test_internal_events_tell_the_customer_nothing(event: str) -> None:
    assert template_for(event) is None


def test_a_shipped_transfer_to_the_customers_store_is_not_a_shipment_to_the_customer() -> None:
    assert template_for("fulfillment_order.shipped", method="transfer") is None


@pytest.mark.parametrize("status", list(S))
def test_a_pickup_notice_goes_out_only_while_the_order_waits_at_the_store(status: S) -> None:
    waiting = status in (S.READY_FOR_PICKUP, S.CUSTOMER_ARRIVED)
    assert still_worth_sending(Template.READY_FOR_PICKUP, status.value) is waiting
    assert still_worth_sending(Template.SHIPPED, status.value)  # a shipment notice is never too late


@pytest.mark.parametrize(("method", "status", "shown"), [
    ("pickup", "ready_for_pickup", True), ("curbside", "customer_arrived", True),
    ("curbside", "ready_for_pickup", True),
    ("pickup", "packed", False), ("pickup", "picked_up", False), ("pickup", "expired", False),
    ("pickup", "cancelled", False), ("ship", "shipped", False), ("transfer", "delivered", False),
])
def test_the_pickup_code_is_shown_only_while_it_can_be_used(method: str, status: str, shown: bool) -> None:
    assert shows_pickup_code(method, status) is shown


def test_events_older_than_the_limit_are_stale() -> None:
    now = datetime(2025, 5, 1, 12, tzinfo=UTC)
    assert not is_stale(now - timedelta(hours=47), now, timedelta(hours=48))
    assert is_stale(now - timedelta(hours=49), now, timedelta(hours=48))


@pytest.mark.parametrize(("name", "first"), [("Ana", "Ana"), ("  Ana María López ", "Ana"), ("", None),
                                             (None, None), ("   ", None)])
def test_only_the_first_name_is_used(name: str | None, first: str | None) -> None:
    assert first_name(name) == first


def test_every_order_status_has_a_customer_label_and_a_hold_is_not_revealed() -> None:
    assert set(CUSTOMER_STATUS) == set(OrderStatus)
    assert customer_status("on_hold") == ("processing", "Being processed")


def test_every_fulfillment_and_return_status_has_a_customer_label() -> None:
    for method in FulfillmentMethod:
        for status in S:
            assert fulfillment_label(method.value, status.value)
    assert fulfillment_label("transfer", "shipped") == "On its way to your store"
    assert fulfillment_label("ship", "shipped") == "Shipped"
    assert all(return_label(s.value) != s.value for s in ReturnStatus)
    assert not shown_to_customer("rejected") and shown_to_customer("cancelled")


def _confirmation(**overrides: object) -> dict[str, object]:
    return {"first_name": "Ana", "order_number": "WEB-1", "shop": "Web shop", "tracking_url": "https://x/track/t",
            "currency": "EUR", "total": "12.50", "collected": False, "store_name": "",
            "items": [{"sku": "TEE", "name": "Tee", "quantity": 2}], **overrides}


def test_a_template_renders_a_one_line_subject_and_a_plain_text_body() -> None:
    subject, body = render("order_confirmed", _confirmation())
    assert subject == "Your order WEB-1 is confirmed"
    assert body.startswith("Hello Ana,\n\nthank you for your order WEB-1.")
    assert "  2 x Tee (TEE)\n" in body and "Total: 12.50 EUR" in body and "https://x/track/t" in body
    assert body.endswith("This message is about order WEB-1 from Web shop.\n")


def test_no_value_can_add_a_line_to_the_subject_or_markup_to_the_body() -> None:
    subject, body = render("order_confirmed", _confirmation(order_number="W-1\r\nBcc: x@evil.example",
                                                            first_name="<b>Ana</b>"))
    assert "\n" not in subject and "\r" not in subject
    assert "Hello <b>Ana</b>," in body  # plain text: shown as typed, never escaped into entities


def test_a_missing_value_fails_loudly_instead_of_leaving_a_gap() -> None:
    context = _confirmation()
    del context["total"]
    with pytest.raises(Exception, match="total"):
        render("order_confirmed", context)


def test_a_repeated_message_keeps_its_message_id_so_mail_systems_can_spot_the_copy() -> None:
    sender = SmtpSender("127.0.0.1", 25, "Shop <orders@shop.example>")
    message = OutgoingMessage(Template.SHIPPED, "ana@example.com", "s", "b", event_id=42)
    assert sender._message_id(message) == sender._message_id(message) == "<ordermesh.42.shipped@shop.example>"
