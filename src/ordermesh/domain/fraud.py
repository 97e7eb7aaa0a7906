"""Fraud rules: facts about an order being placed, and rules that say why it should wait for a person.

A rule never refuses an order: each rule that trips puts the order on a ``fraud`` hold with the rule's
reason, so the sale is kept and nothing ships until someone has looked. Rules are plain objects with a
``name`` and a ``check(facts)`` returning a reason or None; the composition root builds them from
settings, plus any rule a deployment plugs in (see README, "Payments, holds and fraud rules").

Counting a customer's recent orders costs a query on the order path, so it is only done when a rule
asks for it by setting ``counts_recent_orders = True``; otherwise ``RiskFacts.recent_orders`` is None.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from ordermesh.domain.money import format_amount

RECENT_WINDOW_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class RiskFacts:
    """What the rules may look at; all of it known before the order is written."""

    channel: str
    currency: str
    order_value_minor: int  # the order's total, all in
    customer_email: str  # normalised: trimmed, lower case
    delivery_method: str
    shipping_country: str | None  # the delivery address's country (None for pickup and curbside)
    billing_country: str | None  # None when the channel sent no billing address
    units: int
    recent_orders: int | None = None  # the customer's orders in the last hour, this one not counted


class FraudRule(Protocol):
    @property
    def name(self) -> str:
        """Names the rule in the hold's reason."""
        ...

    def check(self, facts: RiskFacts) -> str | None:
        """Why this order should be held, or None to let it pass."""
        ...


def counts_recent_orders(rules: Iterable[FraudRule]) -> bool:
    """Whether any rule needs ``RiskFacts.recent_orders`` (a rule says so with ``counts_recent_orders``)."""
    return any(getattr(rule, "counts_recent_orders", False) for rule in rules)


def screen(rules: Iterable[FraudRule], facts: RiskFacts) -> list[tuple[str, str]]:
    """``(rule name, reason)`` for every rule the order trips, in the rules' order."""
    tripped = []
    for rule in rules:
        reason = rule.check(facts)
        if reason:
            tripped.append((rule.name, reason))
    return tripped


@dataclass(frozen=True, slots=True)
class MaxOrderValue:
    """An order worth more than the limit of its currency waits for review. Currencies not listed pass."""

    limits_minor: Mapping[str, int]
    name: str = "max_order_value"

    def check(self, facts: RiskFacts) -> str | None:
        limit = self.limits_minor.get(facts.currency)
        if limit is None or facts.order_value_minor <= limit:
            return None
        return (f"order value {format_amount(facts.order_value_minor, facts.currency)} {facts.currency} is above "
                f"the review limit of {format_amount(limit, facts.currency)} {facts.currency}")


@dataclass(frozen=True, slots=True)
class MaxOrdersPerHour:
    """More than ``limit`` orders from one customer (by normalised email) within an hour: this one waits."""

    limit: int
    name: str = "orders_per_hour"
    counts_recent_orders: bool = True

    def check(self, facts: RiskFacts) -> str | None:
        if facts.recent_orders is None or facts.recent_orders + 1 <= self.limit:
            return None
        return (f"customer {facts.customer_email} placed {facts.recent_orders + 1} orders within an hour "
                f"(limit {self.limit})")


@dataclass(frozen=True, slots=True)
class CountryMismatch:
    """The billing address is in another country than the delivery address."""

    name: str = "billing_country_mismatch"

    def check(self, facts: RiskFacts) -> str | None:
        billing, shipping = facts.billing_country, facts.shipping_country
        if not billing or not shipping or billing.upper() == shipping.upper():
            return None
        return f"billing country {billing} differs from shipping country {shipping}"
