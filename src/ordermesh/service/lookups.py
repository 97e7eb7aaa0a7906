"""Resolving the codes a request names into rows, with errors that name the field at fault."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.engine import Connection, RowMapping

from ordermesh.adapters.db import catalogue
from ordermesh.domain.errors import DuplicateOrder, InvalidInput, NotFound
from ordermesh.service.access import Principal


def channel(conn: Connection, who: Principal, code: str, *, field: str = "channel") -> RowMapping:
    who.check_channel(code)
    row = catalogue.get(conn, "channel", code)
    if row is None or not row["active"]:
        raise InvalidInput(f"{field}: unknown or inactive channel {code!r}", field=field)
    return row


def channel_and_skus(conn: Connection, who: Principal, code: str, external_id: str, sku_codes: Sequence[str],
                     sku_fields: Sequence[str]) -> tuple[Mapping[str, Any], dict[str, catalogue.SkuFacts]]:
    """The ordering channel and the order's SKUs, asked for together (one round trip in a batch).

    Refuses an unknown or inactive channel, an external id the channel already used, and an unknown or
    inactive SKU naming its field.
    """
    who.check_channel(code)
    channel_later = catalogue.channel_with_order(conn, code, external_id)
    skus_later = catalogue.sku_facts_later(conn, sku_codes)
    row = channel_later()
    if row is None or not row["active"]:
        raise InvalidInput(f"channel: unknown or inactive channel {code!r}", field="channel")
    if row["existing_order_id"] is not None:
        raise DuplicateOrder(f"external_id: channel {code} already has order {external_id} "
                             f"({row['existing_order_id']})", field="external_id", order_id=row["existing_order_id"])
    found = skus_later()
    _known_skus({k: v.id for k, v in found.items()}, sku_codes, sku_fields)
    return row, found


def location(conn: Connection, who: Principal, code: str, *, field: str = "location",
             active_only: bool = True) -> RowMapping:
    who.check_location(code, field=field)
    row = catalogue.get(conn, "location", code)
    if row is None or (active_only and not row["active"]):
        raise InvalidInput(f"{field}: unknown or inactive location {code!r}", field=field)
    return row


def sku_ids(conn: Connection, codes: Sequence[str], field_of: Sequence[str]) -> dict[str, int]:
    """Active SKU ids by code; an unknown SKU is refused naming its field (e.g. ``lines[2].sku``)."""
    return _known_skus(catalogue.ids_by_code(conn, "sku", codes), codes, field_of)


def _known_skus(found: dict[str, int], codes: Sequence[str], field_of: Sequence[str]) -> dict[str, int]:
    for code, field in zip(codes, field_of, strict=True):
        if code not in found:
            raise InvalidInput(f"{field}: unknown or inactive SKU {code!r}", field=field, sku=code)
    return found


def location_by_code_or_404(conn: Connection, who: Principal, code: str) -> RowMapping:
    who.check_location(code)
    row = catalogue.get(conn, "location", code)
    if row is None:
        raise NotFound(f"location {code!r} not found", field="location")
    return row


def optional_id(conn: Connection, kind: str, code: str | None) -> int | None:
    """The id of a filter's location, channel or SKU (any, active or not); None when no filter is given."""
    if code is None:
        return None
    found = catalogue.ids_by_code(conn, kind, [code], active_only=False)
    if code not in found:
        raise InvalidInput(f"{kind}: unknown {kind} {code!r}", field=kind)
    return found[code]
