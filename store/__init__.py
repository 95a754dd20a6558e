"""Everything progression-bot keeps, behind a few named operations over SQLite."""

from store.db import Store
from store.records import CELEBRATION, Delivery, Subscription

__all__ = ["CELEBRATION", "Delivery", "Store", "Subscription"]
