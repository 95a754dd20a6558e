"""Everything progression-bot keeps, behind a few named operations over SQLite."""

from store.db import Store
from store.paths import DatabasePathError, check_database_path
from store.records import CELEBRATION, Delivery, Subscription

__all__ = [
    "CELEBRATION",
    "DatabasePathError",
    "Delivery",
    "Store",
    "Subscription",
    "check_database_path",
]
