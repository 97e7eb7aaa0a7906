"""What happened to each simulated order under a sourcing profile, summed up and compared side by side."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text

from ordermesh.domain.money import format_amount


@dataclass(frozen=True, slots=True)
class Shipment:
    """One fulfilling location of an order and how far it is from the customer."""

    location: str
    distance_km: float


@dataclass(frozen=True, slots=True)
class Outcome:
    external_id: str
    placed: bool
    refusal: str | None  # the reason (e.g. a domain error slug) when not placed
    shipments: tuple[Shipment, ...]
    parcels: int
    cost_minor: int | None  # total of the sourcing decision's cost breakdown, when the profile costs orders
    capacity_overflow: bool  # a chosen location was already past its daily capacity for the method
    units_requested: int
    units_allocated: int


@dataclass(frozen=True, slots=True)
class Summary:
    orders: int
    placed: int
    units_requested: int
    units_allocated: int
    fill_rate: float | None  # units allocated / units requested; None when nothing was requested
    total_cost_minor: int | None  # None when no placed order had a cost
    orders_without_cost: int  # placed orders whose decision carried no cost
    parcels: int
    parcels_per_placed_order: float | None
    split_rate: float | None  # share of placed orders fulfilled from more than one location
    shipments: int
    mean_distance_km: float | None  # per shipment (fulfilling location), over placed orders
    capacity_overflows: int
    refusals: dict[str, int]

    @property
    def refused(self) -> int:
        return self.orders - self.placed


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def summarise(outcomes: Iterable[Outcome]) -> Summary:
    every = list(outcomes)
    placed = [o for o in every if o.placed]
    costs = [o.cost_minor for o in placed if o.cost_minor is not None]
    distances = [s.distance_km for o in placed for s in o.shipments]
    requested = sum(o.units_requested for o in every)
    allocated = sum(o.units_allocated for o in every)
    parcels = sum(o.parcels for o in placed)
    refusals = Counter(o.refusal or "unknown" for o in every if not o.placed)
    return Summary(
        orders=len(every),
        placed=len(placed),
        units_requested=requested,
        units_allocated=allocated,
        fill_rate=_ratio(allocated, requested),
        total_cost_minor=sum(costs) if costs else None,
        orders_without_cost=len(placed) - len(costs),
        parcels=parcels,
        parcels_per_placed_order=_ratio(parcels, len(placed)),
        split_rate=_ratio(sum(1 for o in placed if len(o.shipments) > 1), len(placed)),
        shipments=len(distances),
        mean_distance_km=_ratio(sum(distances), len(distances)),
        capacity_overflows=sum(1 for o in every if o.capacity_overflow),
        refusals=dict(sorted(refusals.items())),
    )


def summary_to_dict(summary: Summary) -> dict[str, Any]:
    """Plain JSON-ready values for ``--json``; rates are fractions (0.95), distances km, money minor units."""
    return {
        "orders": summary.orders,
        "placed": summary.placed,
        "refused": summary.refused,
        "units_requested": summary.units_requested,
        "units_allocated": summary.units_allocated,
        "fill_rate": summary.fill_rate,
        "total_cost_minor": summary.total_cost_minor,
        "orders_without_cost": summary.orders_without_cost,
        "parcels": summary.parcels,
        "parcels_per_placed_order": summary.parcels_per_placed_order,
        "split_rate": summary.split_rate,
        "shipments": summary.shipments,
        "mean_distance_km": summary.mean_distance_km,
        "capacity_overflows": summary.capacity_overflows,
        "refusals": dict(summary.refusals),
    }


HIGHER, LOWER, NEUTRAL = "higher", "lower", ""


@dataclass(frozen=True, slots=True)
class _Metric:
    label: str
    value: Callable[[Summary], float | None]
    show: Callable[[float], str]
    show_delta: Callable[[float], str]
    goal: str


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _signed_count(value: float) -> str:
    return f"{value:+,.0f}"


def _percent(value: float) -> str:
    return f"{value:.1%}"


def _points(value: float) -> str:
    return f"{value * 100:+.1f} pp"


def _money(currency: str | None) -> tuple[Callable[[float], str], Callable[[float], str]]:
    if currency is None:
        return _count, _signed_count

    def show(value: float) -> str:
        return f"{format_amount(round(value), currency)} {currency}"

    def delta(value: float) -> str:
        return ("+" if value >= 0 else "") + show(value)

    return show, delta


def _refusals_for(reason: str) -> Callable[[Summary], float | None]:
    def count(summary: Summary) -> float | None:
        return summary.refusals.get(reason, 0)

    return count


def _metrics(a: Summary, b: Summary, currency: str | None) -> list[_Metric]:
    money, money_delta = _money(currency)
    metrics = [
        _Metric("Orders", lambda s: s.orders, _count, _signed_count, NEUTRAL),
        _Metric("Placed", lambda s: s.placed, _count, _signed_count, HIGHER),
        _Metric("Fill rate (units)", lambda s: s.fill_rate, _percent, _points, HIGHER),
        _Metric("Total cost" + ("" if currency else " (minor units)"), lambda s: s.total_cost_minor, money,
                money_delta, LOWER),
        _Metric("Parcels per placed order", lambda s: s.parcels_per_placed_order, "{:.2f}".format, "{:+.2f}".format,
                LOWER),
        _Metric("Split rate", lambda s: s.split_rate, _percent, _points, LOWER),
        _Metric("Mean distance per shipment (km)", lambda s: s.mean_distance_km, "{:,.1f}".format,
                "{:+,.1f}".format, LOWER),
        _Metric("Capacity overflows", lambda s: s.capacity_overflows, _count, _signed_count, LOWER),
        _Metric("Refused", lambda s: s.refused, _count, _signed_count, LOWER),
    ]
    for reason in sorted(set(a.refusals) | set(b.refusals)):
        metrics.append(_Metric(f"  refused: {reason}", _refusals_for(reason), _count, _signed_count, LOWER))
    return metrics


def _verdict(metric: _Metric, a: float, b: float, a_name: str, b_name: str) -> Text:
    if metric.goal == NEUTRAL or a == b:
        return Text("=" if metric.goal else "")
    b_wins = (b > a) == (metric.goal == HIGHER)
    return Text(b_name if b_wins else a_name, style="green" if b_wins else "red")


def _row(metric: _Metric, a: Summary, b: Summary, a_name: str, b_name: str) -> Sequence[str | Text]:
    va, vb = metric.value(a), metric.value(b)
    shown_a = "—" if va is None else metric.show(va)
    shown_b = "—" if vb is None else metric.show(vb)
    if va is None or vb is None:
        return (metric.label, shown_a, shown_b, "—", metric.goal, Text(""))
    return (metric.label, shown_a, shown_b, metric.show_delta(vb - va), metric.goal,
            _verdict(metric, va, vb, a_name, b_name))


def render_comparison(a_name: str, a: Summary, b_name: str, b: Summary, *, currency: str | None = None) -> Table:
    """Side by side, with B − A and which profile does better on each metric (green when it is B)."""
    table = Table(title=f"Sourcing simulation: {a_name} vs {b_name}")
    table.add_column("Metric")
    table.add_column(a_name, justify="right")
    table.add_column(b_name, justify="right")
    table.add_column(f"Δ ({b_name} − {a_name})", justify="right")
    table.add_column("Better if")
    table.add_column("Better")
    for metric in _metrics(a, b, currency):
        table.add_row(*_row(metric, a, b, a_name, b_name))
    return table
