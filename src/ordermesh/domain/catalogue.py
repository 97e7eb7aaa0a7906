"""The network and catalogue: locations, channels, SKUs and the words used for them."""

from __future__ import annotations

from enum import StrEnum


class LocationType(StrEnum):
    WAREHOUSE = "warehouse"
    STORE = "store"
    DARK_STORE = "dark_store"
    SUPPLIER = "supplier"


class Capability(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    CURBSIDE = "curbside"
    LOCAL_DELIVERY = "local_delivery"
    RETURNS = "returns"


class ChannelType(StrEnum):
    WEB = "web"
    MOBILE = "mobile"
    POS = "pos"
    KIOSK = "kiosk"
    MARKETPLACE = "marketplace"
    SOCIAL = "social"
    CALL_CENTER = "call_center"


class DeliveryMethod(StrEnum):
    SHIP = "ship"
    PICKUP = "pickup"
    CURBSIDE = "curbside"
    LOCAL_DELIVERY = "local_delivery"

    @property
    def capability(self) -> Capability:
        """The location capability a fulfilling location needs for this method."""
        return Capability(self.value)

    @property
    def at_chosen_store(self) -> bool:
        """Pickup and curbside are fulfilled only by the store the customer chose."""
        return self in (DeliveryMethod.PICKUP, DeliveryMethod.CURBSIDE)
