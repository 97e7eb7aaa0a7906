"""Fraud rules over an order's risk facts, and how the composition root builds them from settings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ordermesh.bootstrap import fraud_rules
from ordermesh.domain.fraud import (
    CountryMismatch,
    MaxOrdersPerHour,
    MaxOrderValue,
    RiskFacts,
    counts_recent_orders,
    screen,
)
from ordermesh.settings import Settings


class NightOwl:
    """A plugged-in rule, as a deployment would write one."""

    name = "night_owl"

    def check(self, facts: RiskFacts) -> str | None:
        return "kiosk orders are reviewed" if facts.channel == "kiosk" else None


def night_owl() -> NightOwl:
    return NightOwl()


def not_a_rule() -> object:
    return object()


FACTS = RiskFacts(channel="web", currency="EUR", order_value_minor=4_999_99, customer_email="ana@example.com",
                  delivery_method="ship", shipping_country="DE", billing_country="DE", units=2, recent_orders=0)


def test_an_order_above_its_currencys_limit_is_held_and_other_currencies_pass() -> None:
    rule = MaxOrderValue({"EUR": 5_000_00, "JPY": 500_000})
    assert rule.check(FACTS) is None
    assert rule.check(replace(FACTS, order_value_minor=5_000_00)) is None  # the limit itself passes
    assert rule.check(replace(FACTS, order_value_minor=5_000_01)) == (
        "order value 5000.01 EUR is above the review limit of 5000.00 EUR")
    assert rule.check(replace(FACTS, currency="JPY", order_value_minor=500_001)) == (
        "order value 500001 JPY is above the review limit of 500000 JPY")
    assert rule.check(replace(FACTS, currency="CHF", order_value_minor=10**9)) is None


def test_the_order_that_goes_over_the_hourly_limit_is_held() -> None:
    rule = MaxOrdersPerHour(3)
    assert rule.check(replace(FACTS, recent_orders=2)) is None  # this is the third
    assert rule.check(replace(FACTS, recent_orders=3)) == (
        "customer ana@example.com placed 4 orders within an hour (limit 3)")
    assert rule.check(replace(FACTS, recent_orders=None)) is None  # not counted: nothing to judge


def test_billing_and_shipping_countries_must_agree_when_both_are_known() -> None:
    rule = CountryMismatch()
    assert rule.check(replace(FACTS, billing_country="FR")) == "billing country FR differs from shipping country DE"
    assert rule.check(replace(FACTS, billing_country="de")) is None
    assert rule.check(replace(FACTS, billing_country=None)) is None
    assert rule.check(replace(FACTS, shipping_country=None, billing_country="FR")) is None  # a pickup


def test_screening_names_every_tripped_rule_in_order_and_counts_only_when_asked() -> None:
    rules = (MaxOrderValue({"EUR": 100}), CountryMismatch())
    assert screen(rules, replace(FACTS, billing_country="FR")) == [
        ("max_order_value", "order value 4999.99 EUR is above the review limit of 1.00 EUR"),
        ("billing_country_mismatch", "billing country FR differs from shipping country DE")]
    assert not counts_recent_orders(rules)
    assert counts_recent_orders((*rules, MaxOrdersPerHour(5)))


def test_the_settings_build_the_rules() -> None:
    default = fraud_rules(Settings())
    assert [r.name for r in default] == ["max_order_value", "billing_country_mismatch"]
    assert isinstance(default[0], MaxOrderValue) and default[0].limits_minor["EUR"] == 5_000_00
    custom = fraud_rules(Settings(fraud_max_order_value={}, fraud_max_orders_per_hour=4, fraud_country_mismatch=False,
                                  fraud_rules=["tests.unit.test_fraud_rules:night_owl"]))
    assert [r.name for r in custom] == ["orders_per_hour", "night_owl"]
    assert custom[1].check(replace(FACTS, channel="kiosk")) == "kiosk orders are reviewed"


@pytest.mark.parametrize(("settings", "complaint"), [
    (Settings(fraud_rules=["no.such.module:rule"]), "cannot load 'no.such.module:rule'"),
    (Settings(fraud_rules=["ordermesh.domain.fraud:nothing_here"]), "cannot load"),
    (Settings(fraud_rules=["ordermesh.domain.fraud:RiskFacts"]), "failed to build a rule"),
    (Settings(fraud_rules=["tests.unit.test_fraud_rules:not_a_rule"]), "has no name and check"),
    (Settings(fraud_max_order_value={"EUR": "50.001"}), "ORDERMESH_FRAUD_MAX_ORDER_VALUE"),
    (Settings(fraud_max_orders_per_hour=-1), "ORDERMESH_FRAUD_MAX_ORDERS_PER_HOUR"),
])
def test_bad_fraud_settings_are_refused_at_start_up(settings: Settings, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        fraud_rules(settings)
