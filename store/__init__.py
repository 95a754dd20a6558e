"""Everything progression-bot keeps, behind a few named operations, in SQLite or PostgreSQL."""

from store.backend import StoreError
from store.db import BACKGROUND_POOL_SIZE, BACKGROUND_WRITE_WAIT_SECONDS, Store
from store.paths import DatabasePathError, check_database_path
from store.records import CELEBRATION, Delivery, Subscription

__all__ = [
    "BACKGROUND_POOL_SIZE",
    "BACKGROUND_WRITE_WAIT_SECONDS",
    "CELEBRATION",
    "DatabasePathError",
    "Delivery",
    "Store",
    "StoreError",
    "Subscription",
    "check_database_path",
]
