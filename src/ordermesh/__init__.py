"""Ordermesh: omnichannel order management — one real-time inventory for every channel."""

__version__ = "0.1.0"
