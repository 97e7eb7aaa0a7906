"""The min-cost sourcing MILP solved by HiGHS (highspy).

HiGHS writes a banner to the process's standard output (file descriptor 1, from C++) the first time a
solver is made, whatever the options; that would corrupt the CLI's JSON output. So the first solver of
the process is made with descriptor 1 pointed at /dev/null, and every solver has its output switched off.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import os
import sys
import threading
import time
from collections.abc import Iterator

import highspy

from ordermesh.domain.sourcing import MinCostProblem, MinCostSolution

Row = tuple[float, float, list[tuple[int, float]]]  # lower, upper, (column, coefficient)…

_banner_lock = threading.Lock()
_banner_shown = False


@contextlib.contextmanager
def _stdout_silenced() -> Iterator[None]:
    sys.stdout.flush()
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).fflush(None)  # flush C stdio while it still points at /dev/null
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _quiet_highs() -> highspy.Highs:
    global _banner_shown
    with _banner_lock:
        if _banner_shown:
            h = highspy.Highs()  # type: ignore[no-untyped-call]  # highspy's wrapper class is not annotated
        else:
            with _stdout_silenced():
                h = highspy.Highs()  # type: ignore[no-untyped-call]
            _banner_shown = True
    h.setOptionValue("output_flag", False)
    return h


def _rows(problem: MinCostProblem) -> list[Row]:
    """Demand rows, linking rows (x ≤ stock·y), the split limit and the minimum shipment value."""
    first_y = len(problem.arcs)
    demand: list[list[tuple[int, float]]] = [[] for _ in problem.sku_ids]
    shipped: list[list[tuple[int, float]]] = [[] for _ in problem.location_ids]
    rows: list[Row] = []
    for i, arc in enumerate(problem.arcs):
        demand[arc.sku].append((i, 1.0))
        rows.append((-math.inf, 0.0, [(i, 1.0), (first_y + arc.location, -float(arc.stock))]))
        value = problem.unit_value[arc.sku] if problem.unit_value else 0.0
        shipped[arc.location].append((i, value))
    rows.extend((float(q), float(q), entries) for q, entries in zip(problem.demand, demand, strict=True))
    if problem.max_locations is not None:
        ys = [(first_y + li, 1.0) for li in range(len(problem.location_ids))]
        rows.append((-math.inf, float(problem.max_locations), ys))
    if problem.min_shipment_value > 0:
        rows.extend((0.0, math.inf, [*entries, (first_y + li, -problem.min_shipment_value)])
                    for li, entries in enumerate(shipped))
    return rows


def _model(problem: MinCostProblem) -> highspy.HighsLp:
    rows = _rows(problem)
    lp = highspy.HighsLp()
    lp.num_col_ = len(problem.arcs) + len(problem.location_ids)
    lp.num_row_ = len(rows)
    lp.col_cost_ = [arc.unit_cost for arc in problem.arcs] + list(problem.fixed_cost)
    lp.col_lower_ = [0.0] * lp.num_col_
    lp.col_upper_ = [float(arc.stock) for arc in problem.arcs] + [1.0] * len(problem.location_ids)
    lp.row_lower_ = [r[0] for r in rows]
    lp.row_upper_ = [r[1] for r in rows]
    lp.offset_ = problem.offset
    lp.integrality_ = [highspy.HighsVarType.kInteger] * lp.num_col_
    matrix = lp.a_matrix_
    matrix.format_ = highspy.MatrixFormat.kRowwise
    matrix.num_col_, matrix.num_row_ = lp.num_col_, lp.num_row_
    starts, index, value = [0], list[int](), list[float]()
    for _, _, entries in rows:
        index.extend(col for col, _ in entries)
        value.extend(coef for _, coef in entries)
        starts.append(len(index))
    matrix.start_, matrix.index_, matrix.value_ = starts, index, value
    lp.a_matrix_ = matrix
    return lp


class HighsSolver:
    """Solves a ``MinCostProblem`` to proven optimality, or returns the best plan found in the time limit."""

    def __init__(self, *, relative_gap: float = 0.0, threads: int = 1) -> None:
        self.relative_gap = relative_gap
        self.threads = threads

    def solve(self, problem: MinCostProblem, time_limit_s: float) -> MinCostSolution | None:
        if not problem.arcs:
            return None
        started = time.perf_counter()
        h = _quiet_highs()
        h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("mip_rel_gap", self.relative_gap)
        h.setOptionValue("threads", self.threads)
        h.passModel(_model(problem))
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            label = "optimal"
        elif status == highspy.HighsModelStatus.kTimeLimit and h.getInfo().primal_solution_status == 2:
            label = "time_limit"  # a feasible plan, not proven optimal
        else:
            return None
        values = h.getSolution().col_value
        units = tuple(max(0, round(v)) for v in values[: len(problem.arcs)])
        return MinCostSolution(units, label, time.perf_counter() - started)
