"""The sourcing engine's hot path: CPU milliseconds per order, for the v0 entry point and every strategy.

A seeded random network (50 and 500 candidate locations around Germany, warehouses and stores, stock of
three SKUs) and a 3-line order shipped to one customer. Each figure is the best of a few rounds of the
mean CPU time (``time.process_time``) per order. For min_cost with HiGHS, the time spent inside the
solver's ``solve`` is measured apart, so the engine's own overhead can be read off.

    .venv/bin/python -m bench.sourcing_engine [--rounds 5]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

from ordermesh.adapters.solver import HighsSolver
from ordermesh.domain.catalogue import DeliveryMethod
from ordermesh.domain.sourcing import (
    DEFAULT_PROFILE,
    Candidate,
    MinCostProblem,
    MinCostSolution,
    OrderContext,
    Profile,
    Solver,
    StrategyType,
    default_strategy,
    run_profile,
    source_order,
)

DEMAND = {0: 1, 1: 2, 2: 1}
SKU_CODES = {s: f"S{s}" for s in range(50)}
CTX = OrderContext(method=DeliveryMethod.SHIP, channel="web", order_value_minor=7000, destination=(50, 10),
                   sku_weight_grams={0: 500, 1: 1000, 2: 200}, unit_value_minor={0: 1999, 1: 500, 2: 4250})


def network(size: int, seed: int = 1) -> list[Candidate]:
    """Random locations and stock (seeded), every third location a store so that min_cost has costs to weigh."""
    rng = random.Random(seed)
    return [Candidate(i, f"L{i:03d}", 47 + rng.random() * 6, 6 + rng.random() * 8, frozenset({"ship", "pickup"}),
                      {s: rng.randint(0, 20) for s in range(3)}, type="store" if i % 3 == 2 else "warehouse")
            for i in range(size)]


class TimedSolver:
    """A solver that keeps the CPU time spent inside the wrapped one."""

    def __init__(self, inner: Solver) -> None:
        self.inner, self.seconds, self.calls = inner, 0.0, 0

    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None:
        started = time.process_time()
        try:
            return self.inner.solve(problem, time_limit_s)
        finally:
            self.seconds += time.process_time() - started
            self.calls += 1


def per_order_ms(work: Callable[[], object], repeat: int, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            work()
        best = min(best, (time.process_time() - started) / repeat)
    return best * 1e3


def cases(candidates: Sequence[Candidate], highs: TimedSolver) -> list[tuple[str, Callable[[], object]]]:
    def v0() -> object:
        return source_order(DEMAND, candidates, method=CTX.method, destination=CTX.destination, sku_codes=SKU_CODES)

    def alone(kind: StrategyType, solver: Solver | None) -> Callable[[], object]:
        profile = Profile(strategies=(default_strategy(kind),), fallback=None)
        return lambda: run_profile(profile, CTX, DEMAND, candidates, SKU_CODES, solver=solver)

    out: list[tuple[str, Callable[[], object]]] = [("v0 source_order", v0)]
    for kind in StrategyType:
        if kind is StrategyType.MIN_COST:
            out.append(("min_cost alone, solver=None", alone(kind, None)))
        else:
            out.append((f"{kind.value} alone", alone(kind, None)))
    out.append(("DEFAULT_PROFILE, solver=None",
                lambda: run_profile(DEFAULT_PROFILE, CTX, DEMAND, candidates, SKU_CODES, solver=None)))
    out.append(("DEFAULT_PROFILE, HighsSolver",
                lambda: run_profile(DEFAULT_PROFILE, CTX, DEMAND, candidates, SKU_CODES, solver=highs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for size, repeat in ((50, 200), (500, 20)):
        candidates = network(size)
        print(f"\n{size} candidates, 3 SKUs, {repeat} orders x best of {args.rounds} rounds (CPU ms per order)")
        print(f"{'case':<32} {'ms/order':>9} {'in HiGHS':>9} {'outside':>9}")
        highs = TimedSolver(HighsSolver())
        for name, work in cases(candidates, highs):
            highs.seconds, highs.calls = 0.0, 0
            ms = per_order_ms(work, repeat, args.rounds)
            if highs.calls:
                inside = highs.seconds / (repeat * args.rounds) * 1e3
                print(f"{name:<32} {ms:>9.3f} {inside:>9.3f} {ms - inside:>9.3f}")
            else:
                print(f"{name:<32} {ms:>9.3f}")


if __name__ == "__main__":
    main()
