"""Campuses, reminders, the digest's schedule, weekly posts and the channels' standing, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from progression.digest import Posted
from store import Store
from store.records import DigestSchedule
from tests.store import table

NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
T = "T1"


def subscribe(store: Store, channel: str, role: str = "teacher", campus: str | None = None):
    return store.subscribe(T, channel, role, (), "U0", "2026-W45", NOW, campus=campus)


def nudge(store: Store, channel: str, week: str, ref: str, confirmed: bool = True) -> None:
    assert store.claim_delivery(
        T, channel, week, role="teacher", ref=ref, round=1, owner="h:1", now=NOW
    )
    if confirmed:
        store.confirm_delivery(T, channel, week, f"1.{week[-2:]}{channel}", NOW)


def test_a_campus_is_named_proposed_once_and_kept_when_subscribed_again(store: Store) -> None:
    assert subscribe(store, "C1").campus is None
    assert store.propose_campus(T, "C1", "Lincoln")
    assert not store.propose_campus(T, "C1", "Elsewhere"), "a campus it has is kept"
    renamed = store.set_campus(T, "C1", "Lincoln Elementary")
    assert renamed is not None and renamed.campus == "Lincoln Elementary"
    assert subscribe(store, "C1", role="leader").campus == "Lincoln Elementary"
    assert subscribe(store, "C1", campus="Adams").campus == "Adams"
    assert store.set_campus(T, "CNONE", "Lincoln") is None


def test_a_reminder_is_kept_per_channel_and_rearms_the_workspace(store: Store) -> None:
    subscribe(store, "C1")
    assert store.set_reminder(T, "C1", 3)
    [row] = store.subscriptions(T)
    assert row.remind_weekday == 3
    assert [w.kind for w in store.pending_work("arm")] == ["arm"]
    assert store.set_reminder(T, "C1", None)
    assert store.subscriptions(T)[0].remind_weekday is None
    assert not store.set_reminder(T, "CNONE", 3)


def test_the_digest_schedule_is_the_workspaces_own_or_none(store: Store) -> None:
    assert store.digest_schedule(T) is None
    store.set_digest_schedule(T, 4, "14:00", True, NOW)
    store.set_digest_schedule(T, 3, "09:30", False, NOW)
    assert store.digest_schedule(T) == DigestSchedule(3, "09:30", False)
    assert len(table(store, "digest_schedules")) == 1


@pytest.mark.parametrize("kind", ["digest", "chart", "reminder"])
def test_a_weekly_post_is_claimed_once_and_settled_like_a_delivery(store: Store, kind: str) -> None:
    week = "2026-W49"
    assert store.claim_post(kind, T, "C1", week, "h:1", NOW)  # type: ignore[arg-type]
    assert not store.claim_post(kind, T, "C1", week, "h:2", NOW)  # type: ignore[arg-type]
    assert store.claim_post(kind, T, "C2", week, "h:1", NOW)  # type: ignore[arg-type]
    assert store.claim_post(kind, T, "C3", week, "h:1", NOW)  # type: ignore[arg-type]
    store.confirm_post(kind, T, "C1", week, "111.1", NOW)  # type: ignore[arg-type]
    store.release_post(kind, T, "C2", week)  # type: ignore[arg-type]
    assert store.settle_post_orphans(T) == 1  # C3's claim: its run died
    posts = store.weekly_posts(kind, T, week)  # type: ignore[arg-type]
    assert [(p.channel_id, p.state, p.ts) for p in posts] == [
        ("C1", "posted", "111.1"),
        ("C3", "unconfirmed", None),
    ]
    assert store.claim_post(kind, T, "C2", week, "h:1", NOW)  # type: ignore[arg-type]
    # Another kind, the same channel and week: a digest and a reminder are not one post.
    other = "reminder" if kind != "reminder" else "digest"
    assert store.claim_post(other, T, "C1", week, "h:1", NOW)  # type: ignore[arg-type]


def test_a_channels_standing_has_its_nudges_check_offs_people_and_trouble(store: Store) -> None:
    subscribe(store, "C1", campus="Lincoln")
    subscribe(store, "C2", role="leader", campus="Lincoln")
    subscribe(store, "C3", campus="Adams")
    for week, ref in (("2026-W47", "1.7"), ("2026-W48", "1.8"), ("2026-W49", "1.9")):
        nudge(store, "C1", week, ref)
    nudge(store, "C2", "2026-W49", "1.4", confirmed=False)
    for user in ("U1", "U2", "U3"):
        store.record_checkoff(T, "C1", "1.7", user, NOW, "1.47C1")
    store.record_checkoff(T, "C1", "1.9", "U1", NOW, "1.49C1")
    store.record_checkoff(T, "C9", "1.9", "U1", NOW, "x")  # another channel's: not counted
    store.remember_channel(T, "C1", "lincoln-teachers", 12, NOW.timestamp())
    store.mark_inactive(T, "C3", "is_archived", NOW)
    standings = {s.channel_id: s for s in store.channel_standings(T)}
    c1, c2, c3 = standings["C1"], standings["C2"], standings["C3"]
    assert (c1.campus, c1.people, c1.role) == ("Lincoln", 12, "teacher")
    assert c1.nudges == (
        Posted("2026-W47", "1.7", 3),
        Posted("2026-W48", "1.8", 0),
        Posted("2026-W49", "1.9", 1),
    )
    assert not c1.unconfirmed and c1.inactive is None
    assert c2.unconfirmed and c2.people is None
    assert c3.inactive == "is_archived" and c3.nudges == ()
    assert store.channel_sizes(T)["C1"].name == "lincoln-teachers"
