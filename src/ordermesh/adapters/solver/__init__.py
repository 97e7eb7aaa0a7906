"""Solvers for the sourcing domain's optimisation problems (the domain defines the ``Solver`` protocol)."""

from ordermesh.adapters.solver.highs import HighsSolver

__all__ = ["HighsSolver"]
