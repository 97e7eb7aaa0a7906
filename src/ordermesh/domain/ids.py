"""Identifiers that sort by creation time, so cursors can page by id."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str) -> str:
    """``ord_`` + 11 hex digits of milliseconds + 10 random hex digits (unguessable, time-ordered)."""
    return f"{prefix}_{time.time_ns() // 1_000_000:011x}{secrets.token_hex(5)}"
