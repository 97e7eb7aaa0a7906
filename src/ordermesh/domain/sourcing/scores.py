"""Scores: how good each eligible location is for an order, relative to the others, 0..1, higher is better.

The weighted total ranks locations, and every part is kept so a decision can say why. Ranking needs only
the parts with a weight; the explanation of the decision needs them all: ``Scoring`` works out each part
once, for every eligible location at once, when it is first needed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ordermesh.domain.sourcing.costs import RateCards
from ordermesh.domain.sourcing.filters import Screened
from ordermesh.domain.sourcing.model import Candidate, Demand, OrderContext
from ordermesh.domain.sourcing.plans import fillable_each
from ordermesh.domain.sourcing.profiles import WEIGHT_NAMES, Criteria


def distance_score(km: float | None, farthest: float) -> float:
    """1 at the customer's door, 0 at the farthest eligible location (or the radius); 0 when unknown."""
    if km is None:
        return 0.0
    return 1.0 if farthest <= 0 else max(0.0, 1.0 - km / farthest)


def stock_score(fillable_units: int, wanted_units: int) -> float:
    """The share of the order's units this location could ship on its own."""
    return fillable_units / wanted_units if wanted_units > 0 else 0.0


def priority_score(priority: int, best: int, worst: int) -> float:
    """1 for the most preferred (lowest) priority among the eligible, 0 for the least."""
    return 1.0 if worst == best else (worst - priority) / (worst - best)


def headroom_score(capacity_left: int | None, most: int) -> float:
    """1 without a capacity limit; otherwise the share of the largest remaining capacity."""
    if capacity_left is None:
        return 1.0
    return max(0.0, capacity_left / most) if most > 0 else 0.0


def cost_score(cost_per_unit: float, cheapest: float, dearest: float) -> float:
    """1 for the location that ships its part of the order cheapest per unit, 0 for the dearest."""
    return 1.0 if dearest <= cheapest else (dearest - cost_per_unit) / (dearest - cheapest)


@dataclass(frozen=True)
class Scores:
    parts: Mapping[str, float]
    total: float  # the weighted mean of the parts, 0..1

    def as_dict(self) -> dict[str, Any]:
        return {**{name: round(v, 4) for name, v in self.parts.items()}, "total": round(self.total, 4)}


class Scoring:
    """The eligible locations' scores under one strategy, each part relative to the other eligible ones.

    ``totals`` (for ranking) works out only the parts with a weight; ``explained`` (every part, rounded, for
    the decision) the rest, once.
    """

    def __init__(self, screened: Screened, ctx: OrderContext, demand: Demand, criteria: Criteria,
                 rates: RateCards) -> None:
        self.screened, self.ctx, self.demand, self.criteria, self.rates = screened, ctx, demand, criteria, rates
        self.eligible = screened.eligible
        # what each can fill of the order: screening worked it out, unless asked about another order
        self.fills = screened.fillable if screened.demand == demand else fillable_each(self.eligible, demand)
        weights = criteria.weights.items()
        self.total_weight = sum(w for _, w in weights)
        self.weighted = [(name, w) for name, w in weights if w != 0]
        self._parts: dict[str, dict[int, float]] = {}
        self._totals: dict[int, float] | None = None

    def part(self, name: str) -> dict[int, float]:
        """location id → the score ``name`` (one of Weights' fields)."""
        if name not in self._parts:
            work_out: dict[str, Callable[[], dict[int, float]]] = {
                "distance": self._distance, "stock": self._stock, "priority": self._priority,
                "capacity_headroom": self._capacity_headroom, "cost": self._cost}
            self._parts[name] = work_out[name]()
        return self._parts[name]

    def totals(self) -> dict[int, float]:
        """location id → the weighted mean of the parts: the same sum in the same order as over every part
        (a part of weight 0 adds exactly 0.0), so the same floats."""
        if self._totals is None:
            ids = [c.location_id for c in self.eligible]
            if self.total_weight <= 0:
                self._totals = dict.fromkeys(ids, 0.0)
            else:  # part by part, for every location at once: 0 + p1·w1 + p2·w2 …, as ``sum`` adds them
                weighted: dict[int, float] = dict.fromkeys(ids, 0)
                for name, w in self.weighted:
                    part = self.part(name)
                    weighted = {i: total + part[i] * w for i, total in weighted.items()}
                self._totals = {i: total / self.total_weight for i, total in weighted.items()}
        return self._totals

    def scores(self) -> dict[int, Scores]:
        """location id → every part and the total."""
        totals, columns = self.totals(), [(name, self.part(name)) for name in WEIGHT_NAMES]
        return {i: Scores({name: column[i] for name, column in columns}, total) for i, total in totals.items()}

    def explained(self) -> dict[int, dict[str, float]]:
        """location id → ``Scores.as_dict()``: every part and the total, rounded to 4 places. Rounding is the
        dear part, and many values repeat (1.0 without a capacity limit): each distinct value is rounded once.
        Every column lists the locations in the same order, so rows are zipped, not looked up; and a dict
        display is several times faster than ``dict(zip(names, row))``."""
        totals = self.totals()
        done: dict[float, float] = {}  # shared: a total is often its only weighted part's value
        d, s, p, h, c = (_rounded(self.part(name).values(), done)
                         for name in ("distance", "stock", "priority", "capacity_headroom", "cost"))
        return {i: {"distance": di, "stock": si, "priority": pi, "capacity_headroom": hi, "cost": ci, "total": ti}
                for i, di, si, pi, hi, ci, ti in zip(totals, d, s, p, h, c, _rounded(totals.values(), done),
                                                     strict=True)}

    def _distance(self) -> dict[int, float]:
        km = {c.location_id: self.screened.distances[c.location_id] for c in self.eligible}
        farthest = self.criteria.max_distance_km or max((d for d in km.values() if d is not None), default=0.0)
        return {i: distance_score(d, farthest) for i, d in km.items()}

    def _stock(self) -> dict[int, float]:
        wanted, fills = sum(self.demand.values()), self.fills
        return {c.location_id: stock_score(fills[c.location_id], wanted) for c in self.eligible}

    def _priority(self) -> dict[int, float]:
        priorities = [c.priority for c in self.eligible]
        best, worst = min(priorities), max(priorities)
        if best == worst:  # one priority for all, the usual case: each scores 1.0
            return dict.fromkeys((c.location_id for c in self.eligible), priority_score(best, best, worst))
        return {c.location_id: priority_score(c.priority, best, worst) for c in self.eligible}

    def _capacity_headroom(self) -> dict[int, float]:
        limits = [c.capacity_left for c in self.eligible if c.capacity_left is not None]
        if not limits:  # no capacity limit anywhere, the usual case: each scores 1.0
            return dict.fromkeys((c.location_id for c in self.eligible), headroom_score(None, 0))
        most = max(limits)
        return {c.location_id: headroom_score(c.capacity_left, most) for c in self.eligible}

    def _cost(self) -> dict[int, float]:
        alone = self._cost_per_unit()
        cheapest, dearest = min(alone.values()), max(alone.values())
        return {i: cost_score(per_unit, cheapest, dearest) for i, per_unit in alone.items()}

    def _cost_per_unit(self) -> dict[int, float]:
        """What shipping all it can of the order alone costs, per unit (eligible locations hold at least one):
        ``shipment_cost(...).total / units``, with the distance known, summed in the same order. A location
        that can fill every line (most) ships the whole order: its weight is the order's, summed once."""
        lines = [(sku, qty, self.ctx.weight_kg(sku)) for sku, qty in self.demand.items()]
        whole_kg, wanted = 0.0, sum(self.demand.values())
        for _, qty, kg_each in lines:
            whole_kg += kg_each * qty
        fills = self.fills if all(qty > 0 for _, qty, _ in lines) else {}
        cards = {kind: self.rates.for_type(kind) for kind in {c.type for c in self.eligible}}
        distances, out = self.screened.distances, {}
        for c in self.eligible:
            if fills.get(c.location_id) == wanted:
                kg, units = whole_kg, wanted
            else:
                kg, units = self._shipped_alone(c, lines)
            card, km = cards[c.type], distances[c.location_id]
            per_km = card.per_km_minor * km if km is not None else 0.0
            out[c.location_id] = (card.per_parcel_minor + card.per_kg_minor * kg + per_km
                                  + card.handling_minor) / max(1, units)
        return out

    @staticmethod
    def _shipped_alone(c: Candidate, lines: list[tuple[int, int, float]]) -> tuple[float, int]:
        """The weight and units of all ``c`` can ship of the order's lines (sku, units, kg each)."""
        kg, units, stock = 0.0, 0, c.stock
        for sku, qty, kg_each in lines:
            held = stock.get(sku, 0)
            take = qty if qty <= held else held  # min(qty, held)
            kg += kg_each * take
            units += take
        return kg, units


def _rounded(values: Iterable[float], done: dict[float, float]) -> list[float]:
    """``[round(x, 4) for x in values]``, each distinct value rounded once (``done``: value → rounded, shared
    between columns). Zeros are not shared: 0.0 and -0.0 are equal keys but each rounds to itself."""
    out: list[float] = []
    known, keep = done.get, out.append
    for x in values:
        r = known(x)
        if r is None:
            r = round(x, 4)
            if x:
                done[x] = r
        keep(r)
    return out


def score_candidates(screened: Screened, ctx: OrderContext, demand: Demand, criteria: Criteria,
                     rates: RateCards) -> dict[int, Scores]:
    """Every eligible location's scores, relative to the other eligible ones."""
    return Scoring(screened, ctx, demand, criteria, rates).scores() if screened.eligible else {}


def rank(eligible: Sequence[Candidate], scores: Mapping[int, Scores]) -> list[Candidate]:
    """Best score first; equal scores by location code, so the choice never depends on input order."""
    return sorted(eligible, key=lambda c: (-scores[c.location_id].total, c.code))


def rank_by_total(eligible: Sequence[Candidate], totals: Mapping[int, float]) -> list[Candidate]:
    """``rank`` by the totals alone."""
    return sorted(eligible, key=lambda c: (-totals[c.location_id], c.code))
