"""One reference network and one order stream, built once: the tests only read them."""

from __future__ import annotations

import pytest

from ordermesh.service.simulation.network import Network, build_network
from ordermesh.service.simulation.orders import SimOrder, generate_orders

NETWORK_SEED = 11
ORDER_SEED = 5
STREAM_LENGTH = 10_000  # large enough that a 2-point band on a 20 % share is ~5 standard errors


@pytest.fixture(scope="session")
def network() -> Network:
    return build_network(NETWORK_SEED)


@pytest.fixture(scope="session")
def stream(network: Network) -> list[SimOrder]:
    return generate_orders(network, STREAM_LENGTH, ORDER_SEED)
