"""The simulated assortment: SKUs with realistic weights and prices, Zipf popularity, and stock depths."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from ordermesh.domain.money import exponent

# Zipf exponent of SKU popularity: with 200 SKUs the top 10% take roughly 60% of demand.
ZIPF_EXPONENT = 1.1
BULKY_GRAMS = 8_000
MIN_GRAMS, MAX_GRAMS = 100, 15_000

# Units a location holds of an average-popularity SKU; popular SKUs are held deeper in proportion.
WAREHOUSE_DEPTH = 400
WAREHOUSE_STOCKOUT = 0.03  # share of warehouse positions that are out of stock
STORE_DEPTH = 6.0
STORE_MAX_MEAN = 40.0  # a store's back room has a ceiling, however popular the SKU
STORE_NOT_CARRIED = 0.15  # share of SKUs a given store does not range at all
STORE_NOT_CARRIED_BULKY = 0.7


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    category: str
    grams: tuple[int, int]
    price: tuple[int, int]  # in major units of the currency


PRODUCTS = (
    Product("SOCK", "Socks", "apparel", (100, 150), (5, 15)),
    Product("TEE", "T-shirt", "apparel", (150, 250), (8, 35)),
    Product("CAP", "Cap", "apparel", (100, 180), (12, 35)),
    Product("JEAN", "Jeans", "apparel", (500, 900), (30, 120)),
    Product("HOOD", "Hoodie", "apparel", (500, 900), (30, 90)),
    Product("SNKR", "Sneakers", "apparel", (700, 1_400), (50, 180)),
    Product("JACK", "Winter jacket", "apparel", (900, 2_000), (80, 350)),
    Product("CASE", "Phone case", "electronics", (100, 150), (10, 40)),
    Product("CHRG", "Charger", "electronics", (100, 300), (15, 60)),
    Product("HEAD", "Headphones", "electronics", (200, 400), (30, 350)),
    Product("SPKR", "Bluetooth speaker", "electronics", (400, 1_500), (40, 250)),
    Product("TABL", "Tablet", "electronics", (450, 800), (150, 900)),
    Product("MONI", "Monitor", "electronics", (3_500, 9_000), (150, 700)),
    Product("MUG", "Mug", "home", (300, 450), (6, 25)),
    Product("CUSH", "Cushion", "home", (400, 900), (15, 60)),
    Product("LAMP", "Table lamp", "home", (1_000, 3_000), (25, 150)),
    Product("KETL", "Kettle", "home", (900, 1_600), (25, 90)),
    Product("RUG", "Rug", "home", (4_000, 15_000), (60, 400)),
    Product("CHAIR", "Desk chair", "home", (9_000, 15_000), (120, 500)),
    Product("YOGA", "Yoga mat", "sports", (900, 2_000), (20, 80)),
    Product("DUMB", "Dumbbell set", "sports", (5_000, 15_000), (40, 200)),
    Product("CREAM", "Face cream", "beauty", (100, 250), (8, 60)),
)
VARIANTS = ("black", "white", "navy", "grey", "red", "green", "blue", "sand", "olive", "ochre")


@dataclass(frozen=True, slots=True)
class SimSku:
    code: str
    name: str
    weight_grams: int
    tags: tuple[str, ...]
    unit_price_minor: int
    popularity: float  # this SKU's share of all order lines; the catalogue's shares sum to 1

    @property
    def bulky(self) -> bool:
        return "bulky" in self.tags


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _price_minor(rng: random.Random, product: Product, currency: str) -> int:
    """A shelf price such as 34.99: whole major units less one minor unit."""
    places = exponent(currency)
    major = max(1, round(_log_uniform(rng, *product.price)))
    return int(major * 10**places) - (1 if places else 0)


def build_skus(count: int, rng: random.Random, currency: str) -> tuple[SimSku, ...]:
    ranks = list(range(count))
    rng.shuffle(ranks)
    weights = [1.0 / (rank + 1) ** ZIPF_EXPONENT for rank in ranks]
    total = sum(weights)
    skus = []
    for index, weight in enumerate(weights):
        product = rng.choice(PRODUCTS)
        grams = min(MAX_GRAMS, max(MIN_GRAMS, round(_log_uniform(rng, *product.grams), -1)))
        tags = (product.category, "bulky") if grams >= BULKY_GRAMS else (product.category,)
        skus.append(SimSku(f"{product.code}-{index + 1:04d}", f"{product.name} {rng.choice(VARIANTS)}", int(grams),
                           tags, _price_minor(rng, product, currency), weight / total))
    return tuple(skus)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean >= 30:  # the normal approximation is good here and Knuth's loop would get long
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def warehouse_stock(skus: Sequence[SimSku], rng: random.Random) -> dict[str, int]:
    """Deep: about WAREHOUSE_DEPTH units of an average SKU, in proportion to popularity, a few stock-outs."""
    stock = {}
    for sku in skus:
        mean = WAREHOUSE_DEPTH * sku.popularity * len(skus)
        out = rng.random() < WAREHOUSE_STOCKOUT
        stock[sku.code] = 0 if out else max(1, round(mean * rng.uniform(0.5, 1.5)))
    return stock


def store_stock(skus: Sequence[SimSku], rng: random.Random) -> dict[str, int]:
    """Shallow: a handful of units, many zeros in the long tail, bulky SKUs mostly not ranged."""
    stock = {}
    for sku in skus:
        not_carried = STORE_NOT_CARRIED_BULKY if sku.bulky else STORE_NOT_CARRIED
        if rng.random() < not_carried:
            stock[sku.code] = 0
        else:
            stock[sku.code] = _poisson(rng, min(STORE_MAX_MEAN, STORE_DEPTH * sku.popularity * len(skus)))
    return stock
