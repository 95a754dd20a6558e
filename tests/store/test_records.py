"""Rows become records through the record's own constructor."""

from __future__ import annotations

import pytest

from store.checkoffs import Checkoff
from store.records import Delivery, Subscription, from_row

DELIVERY = {
    "team_id": "T1", "channel_id": "C1", "week": "2026-W10", "role": "teacher", "ref": "1.7",
    "round": 0, "state": "posted", "owner": "host:1", "ts": "1.2", "claimed_at": "a",
    "posted_at": "b",
}  # fmt: skip


def test_the_columns_named_as_fields_make_the_record_and_the_others_are_left_out() -> None:
    delivery = from_row(Delivery, DELIVERY)
    assert delivery == Delivery(
        "T1", "C1", "2026-W10", "teacher", "1.7", 0, "posted", "1.2", "a", "b"
    )


def test_converted_fields_take_the_place_of_the_columns_and_defaults_fill_the_rest() -> None:
    row = {
        "team_id": "T1", "channel_id": "C1", "role": "teacher", "phases": "1,3",
        "subscribed_by": "U1", "subscribed_at": "a", "first_week": "2026-W02", "active": 1,
        "inactive_reason": None, "inactive_at": None,
    }  # fmt: skip
    subscription = from_row(Subscription, row, phases=(1, 3), active=True)
    assert (subscription.phases, subscription.active) == ((1, 3), True)
    checkoff = from_row(
        Checkoff,
        {"team_id": "T1", "channel_id": "C1", "ref": "1.7", "user_id": "U1",
         "checked_at": "a", "message_ts": None},
    )  # fmt: skip
    assert (checkoff.role, checkoff.by_home) == (None, False)


def test_a_missing_column_without_a_default_is_an_error() -> None:
    with pytest.raises(TypeError, match="posted_at"):
        from_row(Delivery, {k: v for k, v in DELIVERY.items() if k != "posted_at"})
