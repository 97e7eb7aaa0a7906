"""The composition root: builds the engine, unit of work and key ring from settings, once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Engine

from ordermesh.adapters.db.engine import make_engine
from ordermesh.adapters.payments.test_provider import TestProvider
from ordermesh.domain.fulfillment import DEFAULT_DUE_HOURS, FulfillmentMethod, FulfillmentPolicy
from ordermesh.domain.payments import PaymentProvider
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

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> Ordermesh:
    settings = settings or Settings()
    policy = fulfillment_policy(settings)  # refuses bad settings before anything is opened
    engine = make_engine(settings.database_url, pool_size=settings.pool_size,
                         sqlite_synchronous=settings.sqlite_synchronous)
    uow = UnitOfWork(engine, public_url=settings.public_url)
    return Ordermesh(settings=settings, engine=engine, uow=uow, keys=KeyRing(uow), fulfillment_policy=policy,
                     providers=payment_providers(settings))


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
