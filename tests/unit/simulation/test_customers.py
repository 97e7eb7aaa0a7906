"""Customers live where people live: drawn city by city in proportion to population, a few km off centre."""

from __future__ import annotations

import math
import random
from collections import Counter

from ordermesh.domain.sourcing import haversine_km
from ordermesh.service.simulation.geography import customer_pool
from ordermesh.service.simulation.network import draw_customer

DRAWS = 20_000


def test_the_biggest_city_gets_its_population_share_of_customers() -> None:
    pool = customer_pool("US")
    biggest = pool.places[0]
    share = biggest.population / pool.cumulative_population[-1]
    rng = random.Random(1)
    drawn = Counter(draw_customer(rng, "US").city for _ in range(DRAWS))
    # Four standard errors either side: a sampler that ignored population would miss by a factor of ~50.
    tolerance = 4 * math.sqrt(share * (1 - share) / DRAWS)
    assert abs(drawn[biggest.name] / DRAWS - share) < tolerance
    assert [name for name, _ in drawn.most_common(2)] == [biggest.name, pool.places[1].name]


def test_customers_are_jittered_a_few_km_around_their_city() -> None:
    pool = customer_pool("US")
    centres = {p.name: p for p in pool.places[:5]}
    rng = random.Random(2)
    offsets = [haversine_km(c.latitude, c.longitude, centres[c.city].latitude, centres[c.city].longitude)
               for c in (draw_customer(rng) for _ in range(5_000)) if c.city in centres]
    assert len(offsets) > 100
    assert all(offset < 60 for offset in offsets)
    assert 1 < sum(offsets) / len(offsets) < 25
    assert len({round(o, 6) for o in offsets}) == len(offsets)  # nobody sits exactly on the city centre


def test_customers_carry_the_country_and_region_of_their_city() -> None:
    rng = random.Random(3)
    customers = [draw_customer(rng, "de") for _ in range(200)]
    assert {c.country for c in customers} == {"DE"}
    assert all(c.region and c.city for c in customers)
    assert all(47.0 < c.latitude < 55.3 and 5.6 < c.longitude < 15.3 for c in customers)


def test_the_same_random_state_draws_the_same_customers() -> None:
    first, second = random.Random(9), random.Random(9)
    assert [draw_customer(first) for _ in range(50)] == [draw_customer(second) for _ in range(50)]
