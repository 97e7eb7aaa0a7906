"""The composition root: builds the engine, unit of work and key ring from settings, once."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from ordermesh.adapters.db.engine import make_engine
from ordermesh.adapters.payments.test_provider import TestProvider
from ordermesh.domain.errors import InvalidInput
from ordermesh.domain.fraud import CountryMismatch, FraudRule, MaxOrdersPerHour, MaxOrderValue
from ordermesh.domain.fulfillment import DEFAULT_DUE_HOURS, FulfillmentMethod, FulfillmentPolicy
from ordermesh.domain.money import parse_amount
from ordermesh.domain.payments import PaymentProvider
from ordermesh.domain.returns import ReturnPolicy
from ordermesh.service.api_keys import KeyRing
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.settings import Settings


@dataclass
class Ordermesh:
    settings: Settings
    engine: Engine
    uow: UnitOfWork
    keys: KeyRing
    fulfillment_policy: FulfillmentPolicy = field(default_factory=FulfillmentPolicy)
    providers: dict[str, PaymentProvider] = field(default_factory=dict)
    fraud_rules: tuple[FraudRule, ...] = ()
    return_policy: ReturnPolicy = field(default_factory=ReturnPolicy)

    def close(self) -> None:
        self.engine.dispose()
        for provider in self.providers.values():
            provider.close()


def bootstrap(settings: Settings | None = None) -> Ordermesh:
    settings = settings or Settings()
    policy = fulfillment_policy(settings)  # refuses bad settings before anything is opened
    engine = make_engine(settings.database_url, pool_size=settings.pool_size,
                         sqlite_synchronous=settings.sqlite_synchronous)
    uow = UnitOfWork(engine, public_url=settings.public_url)
    return Ordermesh(settings=settings, engine=engine, uow=uow, keys=KeyRing(uow), fulfillment_policy=policy,
                     providers=payment_providers(settings), return_policy=return_policy(settings),
                     fraud_rules=fraud_rules(settings))


def payment_providers(settings: Settings) -> dict[str, PaymentProvider]:
    """The payment providers orders may name, by name. The test provider is always there."""
    test = TestProvider(settings.test_provider_ledger or None, slow_seconds=settings.test_provider_slow_seconds)
    return {test.name: test}


def fulfillment_policy(settings: Settings) -> FulfillmentPolicy:
    unknown = sorted(set(settings.fulfillment_due_hours) - set(FulfillmentMethod))
    if unknown:
        raise ValueError(f"ORDERMESH_FULFILLMENT_DUE_HOURS: unknown method(s) {', '.join(unknown)}")
    spans = {"ORDERMESH_ACCEPT_SLA_MINUTES": settings.accept_sla_minutes,
             "ORDERMESH_PICKUP_HOLD_DAYS": settings.pickup_hold_days, **{
                 f"ORDERMESH_FULFILLMENT_DUE_HOURS[{k}]": v for k, v in settings.fulfillment_due_hours.items()}}
    for name, value in spans.items():
        if not value > 0:
            raise ValueError(f"{name} must be greater than 0, not {value}")
    return FulfillmentPolicy(accept_within=timedelta(minutes=settings.accept_sla_minutes),
                             pickup_hold=timedelta(days=settings.pickup_hold_days),
                             due_hours={**DEFAULT_DUE_HOURS, **settings.fulfillment_due_hours})


def return_policy(settings: Settings) -> ReturnPolicy:
    """Return windows per channel (days); an absurd value is refused at start-up."""
    windows = {"ORDERMESH_RETURN_WINDOW_DEFAULT_DAYS": settings.return_window_default_days,
               **{f"ORDERMESH_RETURN_WINDOW_DAYS[{k}]": v for k, v in settings.return_window_days.items()}}
    for name, days in windows.items():
        if not 0 <= days <= 3650:
            raise ValueError(f"{name} must be between 0 and 3650 days, not {days}")
    return ReturnPolicy(settings.return_window_default_days, dict(settings.return_window_days))


def fraud_rules(settings: Settings) -> tuple[FraudRule, ...]:
    """The built-in rules the settings switch on, then each "module:attribute" factory's rule, in order."""
    limits = _value_limits(settings.fraud_max_order_value)
    rules: list[FraudRule] = [MaxOrderValue(limits)] if limits else []
    if settings.fraud_max_orders_per_hour < 0:
        raise ValueError("ORDERMESH_FRAUD_MAX_ORDERS_PER_HOUR must be 0 (off) or more")
    if settings.fraud_max_orders_per_hour:
        rules.append(MaxOrdersPerHour(settings.fraud_max_orders_per_hour))
    if settings.fraud_country_mismatch:
        rules.append(CountryMismatch())
    return (*rules, *(_plugged_rule(spec) for spec in settings.fraud_rules))


def _value_limits(texts: dict[str, str]) -> dict[str, int]:
    limits = {}
    for currency, text in texts.items():
        try:
            limits[currency.upper()] = parse_amount(text, currency.upper(), field=currency)
        except InvalidInput as exc:
            raise ValueError(f"ORDERMESH_FRAUD_MAX_ORDER_VALUE: {exc.detail}") from None
    return limits


def _plugged_rule(spec: str) -> FraudRule:
    module_name, _, attribute = spec.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"ORDERMESH_FRAUD_RULES: cannot load {spec!r} (want 'module:attribute'): {exc}") from exc
    try:
        rule = factory()
    except Exception as exc:
        raise ValueError(f"ORDERMESH_FRAUD_RULES: {spec!r} failed to build a rule: {exc}") from exc
    if not callable(getattr(rule, "check", None)) or not isinstance(getattr(rule, "name", None), str):
        raise ValueError(f"ORDERMESH_FRAUD_RULES: {spec!r} made {rule!r}, which has no name and check(facts)")
    return rule  # type: ignore[no-any-return]
