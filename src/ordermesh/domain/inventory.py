"""Inventory arithmetic: positions, movements and what a channel may sell.

ATP at a location = on hand − reserved. What a channel may sell from a location is
max(0, ATP − safety stock − channel buffer); the channel's ATS is the sum over the locations feeding it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class MovementType(StrEnum):
    RECEIVE = "receive"  # on hand += q
    ADJUST = "adjust"  # on hand += signed q
    COUNT = "count"  # on hand := q (stored as the delta it caused)
    RESERVE = "reserve"  # reserved += q
    RELEASE = "release"  # reserved -= q
    ISSUE = "issue"  # on hand -= q and reserved -= q (shipped or handed over)


# Movements a client may post directly; the others are written by reservations and fulfillment.
MANUAL_MOVEMENTS = frozenset({MovementType.RECEIVE, MovementType.ADJUST, MovementType.COUNT})
MAX_UNITS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Position:
    on_hand: int
    reserved: int
    safety_stock: int = 0

    @property
    def available_to_promise(self) -> int:
        return self.on_hand - self.reserved

    def sellable(self, buffer: int = 0) -> int:
        """Units a channel holding back ``buffer`` per location may still sell here."""
        return max(0, self.on_hand - self.reserved - self.safety_stock - buffer)


def on_hand_delta(movement: MovementType, quantity: int, on_hand: int) -> int:
    """How much a manual movement changes on hand, given the current on hand."""
    if movement is MovementType.COUNT:
        return quantity - on_hand
    if movement in (MovementType.RECEIVE, MovementType.ADJUST):
        return quantity
    raise ValueError(f"{movement} is not a manual movement")
