"""What a picker reports: units found per line (a short pick), and the parcels a packer made.

Pure checks against the units a fulfillment order holds per order line; every refusal names the field
of the request at fault, e.g. ``lines[1].line_id`` or ``parcels[0].items[2].quantity``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ordermesh.domain.errors import InvalidInput

MAX_PARCELS = 100
MAX_PARCEL_GRAMS = 1_000_000  # one tonne: beyond that it is freight, not a parcel


@dataclass(frozen=True, slots=True)
class LineFound:
    """The units of one order line the picker found on the shelf."""

    line_id: str
    quantity_found: int


@dataclass(frozen=True, slots=True)
class ParcelItem:
    line_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Parcel:
    weight_grams: int
    items: tuple[ParcelItem, ...] | None = None  # None: the packer did not say what went in


def shortfall(found: Sequence[LineFound], holding: Mapping[str, int]) -> dict[str, int]:
    """Units missing per order line; lines the picker did not mention were found in full.

    ``holding``: the units the fulfillment order holds per order line.
    """
    missing: dict[str, int] = {}
    seen: set[str] = set()
    for i, x in enumerate(found):
        where = f"lines[{i}]"
        _known_line(x.line_id, holding, f"{where}.line_id")
        if x.line_id in seen:
            raise InvalidInput(f"{where}.line_id: line {x.line_id} is reported twice", field=f"{where}.line_id")
        seen.add(x.line_id)
        if not 0 <= x.quantity_found <= holding[x.line_id]:
            raise InvalidInput(f"{where}.quantity_found: must be between 0 and {holding[x.line_id]}, the units "
                               f"of line {x.line_id} on this fulfillment order", field=f"{where}.quantity_found")
        if x.quantity_found < holding[x.line_id]:
            missing[x.line_id] = holding[x.line_id] - x.quantity_found
    return missing


def check_parcels(parcels: Sequence[Parcel], holding: Mapping[str, int]) -> None:
    """Weights in range; items name lines of the fulfillment order and pack no more units than it holds.

    When every parcel lists its items, together they must hold every unit: nothing is left on the bench.
    """
    if len(parcels) > MAX_PARCELS:
        raise InvalidInput(f"parcels: at most {MAX_PARCELS} parcels", field="parcels")
    packed: dict[str, int] = defaultdict(int)
    for i, parcel in enumerate(parcels):
        where = f"parcels[{i}]"
        if not 1 <= parcel.weight_grams <= MAX_PARCEL_GRAMS:
            raise InvalidInput(f"{where}.weight_grams: must be between 1 and {MAX_PARCEL_GRAMS}",
                               field=f"{where}.weight_grams")
        for j, item in enumerate(parcel.items or ()):
            _known_line(item.line_id, holding, f"{where}.items[{j}].line_id")
            packed[item.line_id] += item.quantity
            if item.quantity < 1 or packed[item.line_id] > holding[item.line_id]:
                raise InvalidInput(f"{where}.items[{j}].quantity: line {item.line_id} has "
                                   f"{holding[item.line_id]} units on this fulfillment order; "
                                   f"{packed[item.line_id]} are packed", field=f"{where}.items[{j}].quantity")
    itemised = bool(parcels) and all(p.items for p in parcels)
    unpacked = sorted(line for line, q in holding.items() if q > 0 and packed[line] < q)
    if itemised and unpacked:
        raise InvalidInput(f"parcels: units of line(s) {', '.join(unpacked)} are in no parcel", field="parcels",
                           lines=unpacked)


def _known_line(line_id: str, holding: Mapping[str, int], where: str) -> None:
    if holding.get(line_id, 0) <= 0:
        raise InvalidInput(f"{where}: {line_id!r} is not a line of this fulfillment order", field=where)
