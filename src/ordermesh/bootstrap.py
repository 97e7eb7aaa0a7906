"""The composition root: builds the engine, unit of work and key ring from settings, once."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from ordermesh.adapters.db.engine import make_engine
from ordermesh.service.api_keys import KeyRing
from ordermesh.service.unit_of_work import UnitOfWork
from ordermesh.settings import Settings


@dataclass
class Ordermesh:
    settings: Settings
    engine: Engine
    uow: UnitOfWork
    keys: KeyRing

    def close(self) -> None:
        self.engine.dispose()


def bootstrap(settings: Settings | None = None) -> Ordermesh:
    settings = settings or Settings()
    engine = make_engine(settings.database_url, pool_size=settings.pool_size,
                         sqlite_synchronous=settings.sqlite_synchronous)
    uow = UnitOfWork(engine)
    return Ordermesh(settings=settings, engine=engine, uow=uow, keys=KeyRing(uow))
