"""Running a sourcing profile: try each strategy whose conditions the order meets, in order, then the
fallback; the first that finds a plan decides. The decision keeps every candidate with its scores and
exclusion reason, the strategies tried and why they failed, and the cost of the chosen plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ordermesh.domain.sourcing.costs import plan_cost
from ordermesh.domain.sourcing.decision import Decision
from ordermesh.domain.sourcing.filters import OrderFacts, Screened, order_facts, screen
from ordermesh.domain.sourcing.min_cost import Solver
from ordermesh.domain.sourcing.model import Candidate, Demand, Infeasible, OrderContext, Plan
from ordermesh.domain.sourcing.optimise import SolveLimits, min_cost_plan
from ordermesh.domain.sourcing.plans import (
    allocated,
    greedy_fill,
    missing,
    small_shipments,
    units_by_location,
)
from ordermesh.domain.sourcing.profiles import Profile, Strategy, StrategyType
from ordermesh.domain.sourcing.refusal import refusal
from ordermesh.domain.sourcing.scores import Scoring, rank_by_total
from ordermesh.domain.sourcing.strategies import fewest_splits, highest_stock, nearest, priority

CONSOLIDATION_ROUNDS = 5  # attempts to avoid shipments under the minimum value

Planner = Callable[[Sequence[Candidate], Demand], Plan | Infeasible]


@dataclass(frozen=True)
class Attempt:
    strategy: Strategy
    screened: Screened
    scoring: Scoring | None  # None: no location is eligible
    result: Plan | Infeasible
    optimisation: dict[str, Any] | None

    def explained_scores(self) -> dict[int, dict[str, float]]:
        """Every eligible location's scores, every part, as the explanation shows them (worked out now)."""
        return self.scoring.explained() if self.scoring is not None else {}


def run_profile(profile: Profile, ctx: OrderContext, demand: Demand, candidates: Sequence[Candidate],
                sku_codes: Mapping[int, str], *, solver: Solver | None = None,
                excluded: Mapping[int, str] | None = None, limits: SolveLimits = SolveLimits()) -> Decision:
    """Source ``demand`` under ``profile``, or raise InsufficientStock with a reason per SKU.

    ``solver`` (a ``Solver``; None: the heuristic only) solves min_cost exactly; ``excluded`` rules out
    locations with a reason (e.g. the one that rejected the order).
    """
    want = {sku: qty for sku, qty in demand.items() if qty > 0}
    facts = order_facts(candidates, ctx, want)  # once per order, however many strategies are tried
    tried: list[dict[str, Any]] = []
    attempts: list[Attempt] = []
    for strategy in profile.in_order():
        entry: dict[str, Any] = {"strategy": strategy.name, "type": strategy.type.value}
        tried.append(entry)
        why_not = strategy.conditions.mismatch(ctx, want)
        if why_not:
            entry.update(outcome="skipped", reason=why_not)
            continue
        attempt = attempt_strategy(strategy, ctx, want, candidates, excluded, solver, limits, facts)
        attempts.append(attempt)
        if isinstance(attempt.result, Infeasible):
            entry.update(outcome="failed", reason=attempt.result.summary,
                         skus={sku_codes[s]: why for s, why in sorted(attempt.result.reasons.items())})
            continue
        entry["outcome"] = "chosen"
        return _decision(attempt, attempt.result, ctx, want, candidates, facts, sku_codes, tried)
    raise refusal(want, candidates, ctx, excluded or {}, [a.screened for a in attempts], sku_codes)


def attempt_strategy(strategy: Strategy, ctx: OrderContext, demand: Demand, candidates: Sequence[Candidate],
                     excluded: Mapping[int, str] | None, solver: Solver | None, limits: SolveLimits,
                     facts: OrderFacts | None = None) -> Attempt:
    """Screen, score and rank the candidates for ``strategy``, then plan (partially, if it allows)."""
    screened = screen(candidates, ctx, strategy.criteria, demand, excluded, facts=facts)
    scoring = Scoring(screened, ctx, demand, strategy.criteria, strategy.rates) if screened.eligible else None
    totals = scoring.totals() if scoring is not None else {}
    ranked = rank_by_total(screened.eligible, totals)
    report: dict[str, Any] = {}

    def plan(pool: Sequence[Candidate], want: Demand) -> Plan | Infeasible:
        return _plan_by_type(strategy, pool, want, ctx, totals, screened.distances, solver, limits, report)

    result = plan(ranked, demand)
    if isinstance(result, Infeasible) and strategy.allow_partial:
        result = _partial(strategy, ranked, demand, plan, result)
    if isinstance(result, list) and strategy.type is not StrategyType.MIN_COST:
        result = _consolidate(result, ranked, ctx, strategy.min_shipment_value_minor, plan)
    return Attempt(strategy, screened, scoring, result, report or None)


def _plan_by_type(strategy: Strategy, ranked: Sequence[Candidate], want: Demand, ctx: OrderContext,
                  totals: Mapping[int, float], distances: Mapping[int, float | None], solver: Solver | None,
                  limits: SolveLimits, report: dict[str, Any]) -> Plan | Infeasible:
    kind, splits = strategy.type, strategy.max_splits
    if kind is StrategyType.NEAREST:
        return nearest(ranked, want)
    if kind is StrategyType.FEWEST_SPLITS:
        return fewest_splits(ranked, want, splits, {c.location_id: 1 - totals[c.location_id] for c in ranked})
    if kind is StrategyType.PRIORITY:
        return priority(ranked, want, splits)
    if kind is StrategyType.HIGHEST_STOCK:
        return highest_stock(ranked, want, splits)
    result, found = min_cost_plan(ranked, want, ctx, strategy.rates, splits, strategy.min_shipment_value_minor,
                                  solver, limits, distances=distances)
    report.clear()
    report.update(found)
    return result


def _partial(strategy: Strategy, ranked: Sequence[Candidate], demand: Demand, plan: Planner,
             failed: Infeasible) -> Plan | Infeasible:
    """What can be filled: the demand capped at the eligible stock, else greedily within the split limit."""
    capped = {sku: min(qty, sum(c.stock.get(sku, 0) for c in ranked)) for sku, qty in demand.items()}
    capped = {sku: qty for sku, qty in capped.items() if qty > 0}
    if not capped:
        return failed
    result = plan(ranked, capped)
    if isinstance(result, list):
        return result
    limit = 1 if strategy.type is StrategyType.NEAREST else strategy.max_splits
    some, _ = greedy_fill(ranked, capped, limit)
    return some or failed


def _consolidate(result: Plan, ranked: Sequence[Candidate], ctx: OrderContext, min_value: int,
                 plan: Planner) -> Plan:
    """Avoid shipments worth less than ``min_value``: plan again without one of the plan's locations (the
    small shippers first), and keep the first plan with fewer small shipments. A small shipment stays
    when there is no other way."""
    pool, want = list(ranked), allocated(result)
    for _ in range(CONSOLIDATION_ROUNDS):
        small = small_shipments(result, ctx, min_value)
        if not small:
            break
        used = list(units_by_location(result))
        better = None
        for dropped in [*small, *(i for i in used if i not in small)]:
            smaller_pool = [c for c in pool if c.location_id != dropped]
            retry = plan(smaller_pool, want)
            if isinstance(retry, list) and len(small_shipments(retry, ctx, min_value)) < len(small):
                better = retry, smaller_pool
                break
        if better is None:
            break
        result, pool = better
    return result


def _decision(attempt: Attempt, result: Plan, ctx: OrderContext, demand: Demand, candidates: Sequence[Candidate],
              facts: OrderFacts, sku_codes: Mapping[int, str], tried: list[dict[str, Any]]) -> Decision:
    strategy, screened = attempt.strategy, attempt.screened
    units = {location_id: sum(per_sku.values()) for location_id, per_sku in units_by_location(result).items()}
    codes = {c.location_id: c.code for c in candidates if c.location_id in units}
    rows = _rows(candidates, screened, facts, attempt.explained_scores(), units)
    rows.sort(key=lambda r: (not r["chosen"], r["excluded"] is not None, -(r["scores"] or {}).get("total", 0.0),
                             r["location"]))
    shipped_from = {c.location_id: c for c in screened.eligible if c.location_id in units}
    return Decision(
        strategy.name, result, rows, codes, strategy_type=strategy.type.value, tried=tried,
        cost=plan_cost(result, ctx, shipped_from, strategy.rates), optimisation=attempt.optimisation,
        shortfall={sku_codes[sku]: qty for sku, qty in sorted(missing(result, demand).items())},
    )


def _rows(candidates: Sequence[Candidate], screened: Screened, facts: OrderFacts,
          scores: Mapping[int, dict[str, float]], units: Mapping[int, int]) -> list[dict[str, Any]]:
    """Every candidate: how far, what it could fill of the order on its own, and its scores or why it was
    excluded."""
    distances, fillable, excluded = facts.distances, facts.fillable, screened.excluded
    return [{"location": c.code, "type": c.type, "distance_km": distances.get(c.location_id),
             "fillable_units": fillable[c.location_id], "chosen": c.location_id in units,
             "units": units.get(c.location_id, 0), "excluded": excluded.get(c.location_id),
             "scores": scores.get(c.location_id)} for c in candidates]
