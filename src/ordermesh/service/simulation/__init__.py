"""Sourcing simulation, or shadow mode: ``ordermesh simulate``.

A reference network is built on real geography (warehouses near the centres of demand, stores in the
most populous cities), a seeded stream of orders is generated for it, and the same stream is run
through the real service layer once per sourcing profile. Nothing here touches a live retailer's data:
the run happens in its own database, so a new profile can be judged "in the shadow" of the current one
on identical demand — fill rate, cost, parcels, splits, distance and capacity — before it goes live.

This package holds the pure parts: ``network`` (locations, SKUs, stock, customers), ``orders`` (the
order stream) and ``report`` (outcomes, summaries and the side-by-side comparison).
"""
