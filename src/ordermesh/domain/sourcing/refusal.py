"""When no strategy can source an order: say, per SKU, what is in the way."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ordermesh.domain.errors import InsufficientStock
from ordermesh.domain.sourcing.filters import Screened, lacks_capability
from ordermesh.domain.sourcing.model import Candidate, Demand, OrderContext

NO_STOCK = "no stock"
NO_CAPABLE_LOCATION = "no capable location"
NO_CAPACITY = "no capacity"
NOT_ALLOWED = "no location the profile allows has enough"
SPLIT_LIMIT = "needs more locations than the profile allows"
NO_STRATEGY = "no strategy of the profile applies to this order"


def _stock(candidates: Sequence[Candidate], sku: int, keep: Callable[[Candidate], bool]) -> int:
    return sum(c.stock.get(sku, 0) for c in candidates if keep(c))


def sku_reason(sku: int, qty: int, candidates: Sequence[Candidate], ctx: OrderContext,
               excluded: Mapping[int, str], screened: Sequence[Screened]) -> str | None:
    """The first obstacle for one SKU, from the broadest (no stock anywhere) to the narrowest; None if the
    eligible locations of some strategy hold enough of it."""
    def usable(c: Candidate) -> bool:
        return c.location_id not in excluded

    def capable(c: Candidate) -> bool:
        return usable(c) and lacks_capability(c, ctx.method) is None

    if _stock(candidates, sku, usable) < qty:
        return NO_STOCK
    if _stock(candidates, sku, capable) < qty:
        return NO_CAPABLE_LOCATION
    if _stock(candidates, sku, lambda c: capable(c) and not c.at_capacity) < qty:
        return NO_CAPACITY
    if all(_stock(s.eligible, sku, lambda c: True) < qty for s in screened):
        return NOT_ALLOWED
    return None


def refusal(demand: Demand, candidates: Sequence[Candidate], ctx: OrderContext, excluded: Mapping[int, str],
            screened: Sequence[Screened], sku_codes: Mapping[int, str]) -> InsufficientStock:
    """InsufficientStock naming the SKUs that cannot be sourced, with ``reasons`` (sku code → why)."""
    if not screened:
        reasons = {sku_codes[sku]: NO_STRATEGY for sku in demand}
    else:
        found = {sku_codes[sku]: sku_reason(sku, qty, candidates, ctx, excluded, screened)
                 for sku, qty in demand.items()}
        reasons = {code: why for code, why in found.items() if why} or dict.fromkeys(found, SPLIT_LIMIT)
    skus = sorted(reasons)
    detail = "cannot source " + ", ".join(f"{code} ({reasons[code]})" for code in skus)
    return InsufficientStock(detail, skus=skus, reasons={code: reasons[code] for code in skus})
