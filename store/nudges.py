"""Schedules, school breaks, subscriptions and deliveries: the weekly nudges' state."""

from __future__ import annotations

import time as clock
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from typing import Any

from progression.calendar import SchoolBreak, WeeklySlot
from store.backend import Session
from store.base import StoreBase
from store.leases import fanout_lease
from store.outbox import enqueue
from store.records import Delivery, Subscription, from_row

_SUBSCRIPTION_COLUMNS = (
    "team_id, channel_id, role, phases, subscribed_by, subscribed_at, first_week, active, "
    "inactive_reason, inactive_at"
)


class NudgeStore(StoreBase):
    """Mixed into `Store`.

    The fan-out's claims and confirmations go through the store's group commit: a window of
    posts leaves together, and its threads share one transaction instead of queueing in
    SQLite's busy handler, which sleeps in steps of up to 100 ms."""

    # --- schedules and breaks ---------------------------------------------------------

    def schedule(self, team_id: str) -> WeeklySlot | None:
        row = self._one("select * from schedules where team_id = ?", [team_id])
        if row is None:
            return None
        return WeeklySlot(row["weekday"], time.fromisoformat(row["at"]), row["timezone"])

    def set_schedule(self, team_id: str, schedule: WeeklySlot, now: datetime) -> None:
        with self._rearming(team_id, now) as db:
            db.execute(
                "insert into schedules (team_id, weekday, at, timezone, updated_at) "
                "values (?, ?, ?, ?, ?) on conflict (team_id) do update set "
                "weekday = excluded.weekday, at = excluded.at, timezone = excluded.timezone, "
                "updated_at = excluded.updated_at",
                [
                    team_id,
                    schedule.weekday,
                    schedule.at.strftime("%H:%M"),
                    schedule.timezone,
                    now.isoformat(),
                ],
            )

    def add_break(self, team_id: str, school_break: SchoolBreak, by: str, now: datetime) -> bool:
        """Record a break; False when the same break was already there."""
        with self._rearming(team_id, now) as db:
            added = db.execute(
                'insert into skips (team_id, start, "end", added_by, added_at) '
                "values (?, ?, ?, ?, ?) on conflict do nothing",
                [
                    team_id,
                    school_break.start.isoformat(),
                    school_break.end.isoformat(),
                    by,
                    now.isoformat(),
                ],
            )
        return added == 1

    def remove_breaks(
        self, team_id: str, start: date, end: date | None = None
    ) -> list[SchoolBreak]:
        """Remove the breaks that start on `start` (and end on `end`, when given)."""
        where, params = "team_id = ? and start = ?", [team_id, start.isoformat()]
        if end is not None:
            where, params = where + ' and "end" = ?', [*params, end.isoformat()]
        with self._rearming(team_id, None) as db:
            rows = db.rows(f'delete from skips where {where} returning start, "end"', params)
            return sorted((self._break(r) for r in rows), key=lambda b: (b.start, b.end))

    def breaks(self, team_id: str) -> list[SchoolBreak]:
        rows = self._rows(
            'select start, "end" from skips where team_id = ? order by start, "end"', [team_id]
        )
        return [self._break(r) for r in rows]

    @contextmanager
    def _rearming(self, team_id: str, now: datetime | None) -> Iterator[Session]:
        """One transaction for a change to when a workspace is nudged and the outbox row
        that asks the runner to re-arm its job."""
        with self._transaction() as db:
            yield db
            enqueue(db, "arm", team_id, "", now.timestamp() if now else clock.time())

    # --- subscriptions ----------------------------------------------------------------

    def subscribe(
        self,
        team_id: str,
        channel_id: str,
        role: str,
        phases: tuple[int, ...],
        by: str,
        first_week: str,
        now: datetime,
        campus: str | None = None,
    ) -> Subscription:
        """Make the channel a role channel (again): active, from `first_week` on. `campus`
        names its campus; None keeps the one it had (or leaves it to be proposed)."""
        with self._rearming(team_id, now) as db:
            row = db.one(
                f"insert into subscriptions ({_SUBSCRIPTION_COLUMNS}, campus) "
                "values (?, ?, ?, ?, ?, ?, ?, 1, null, null, ?) "
                "on conflict (team_id, channel_id) do update set role = excluded.role, "
                "phases = excluded.phases, subscribed_by = excluded.subscribed_by, "
                "subscribed_at = excluded.subscribed_at, first_week = excluded.first_week, "
                "active = 1, inactive_reason = null, inactive_at = null, "
                "campus = coalesce(excluded.campus, subscriptions.campus) "
                "returning *",
                [
                    team_id,
                    channel_id,
                    role,
                    ",".join(str(p) for p in phases),
                    by,
                    now.isoformat(),
                    first_week,
                    campus,
                ],
            )
            assert row is not None
            return self._subscription(row)

    def unsubscribe(self, team_id: str, channel_id: str) -> Subscription | None:
        """Stop the channel's nudges; its history and check-offs are kept."""
        with self._rearming(team_id, None) as db:
            row = db.one(
                "delete from subscriptions where team_id = ? and channel_id = ? returning *",
                [team_id, channel_id],
            )
            return self._subscription(row) if row else None

    def subscription(self, team_id: str, channel_id: str) -> Subscription | None:
        row = self._one(
            "select * from subscriptions where team_id = ? and channel_id = ?",
            [team_id, channel_id],
        )
        return self._subscription(row) if row else None

    def subscriptions(self, team_id: str | None = None) -> list[Subscription]:
        """One workspace's subscriptions; every workspace's only for None (never for "")."""
        where, params = ("where team_id = ?", [team_id]) if team_id is not None else ("", [])
        rows = self._rows(
            f"select * from subscriptions {where} order by team_id, subscribed_at, channel_id",
            params,
        )
        return [self._subscription(r) for r in rows]

    def teams(self) -> list[str]:
        """Every workspace with a schedule or a subscription, but those that removed the app."""
        rows = self._rows(
            "select team_id from subscriptions union select team_id from schedules "
            "except select team_id from departures"
        )
        return sorted(r["team_id"] for r in rows)

    def mark_inactive(self, team_id: str, channel_id: str, reason: str, now: datetime) -> bool:
        """Stop nudging a channel Slack refused; True only the first time (to report once)."""
        changed = self._execute(
            "update subscriptions set active = 0, inactive_reason = ?, inactive_at = ? "
            "where team_id = ? and channel_id = ? and active = 1",
            [reason, now.isoformat(), team_id, channel_id],
        )
        return changed == 1

    # --- deliveries -------------------------------------------------------------------

    def claim_delivery(
        self,
        team_id: str,
        channel_id: str,
        week: str,
        *,
        role: str,
        ref: str,
        round: int,
        owner: str,
        now: datetime,
    ) -> bool:
        """Claim this channel's week before posting; False if anyone already has it."""
        row = [team_id, channel_id, week, role, ref, round, "sending", owner, now.isoformat()]
        return (
            self._burst_write(
                "insert into deliveries "
                "(team_id, channel_id, week, role, ref, round, state, owner, claimed_at) "
                "values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict do nothing",
                row,
            )
            == 1
        )

    def confirm_delivery(
        self, team_id: str, channel_id: str, week: str, ts: str, now: datetime
    ) -> None:
        self._burst_write(
            "update deliveries set state = 'posted', ts = ?, posted_at = ? "
            "where team_id = ? and channel_id = ? and week = ?",
            [ts, now.isoformat(), team_id, channel_id, week],
        )

    def release_delivery(self, team_id: str, channel_id: str, week: str) -> None:
        """Slack answered that it did not post: the week is free to claim again."""
        self._write(
            "delete from deliveries where team_id = ? and channel_id = ? and week = ? "
            "and state = 'sending'",
            [team_id, channel_id, week],
        )

    def mark_unconfirmed(
        self, team_id: str, channel_id: str, week: str, ts: str | None = None
    ) -> None:
        """Slack may have the post (no answer came back), or has it (`ts`) but recording that
        failed: never re-post it. With its `ts`, reactions on it are still recorded."""
        self._write(
            "update deliveries set state = 'unconfirmed', ts = coalesce(?, ts) "
            "where team_id = ? and channel_id = ? and week = ? and state = 'sending'",
            [ts, team_id, channel_id, week],
        )

    def settle_orphans(self, team_id: str) -> int:
        """Called under the workspace's fan-out lease, when none of its posts is in flight:
        claims still `sending` were left by a run that died or could not record its answer.
        Slack may or may not have those posts, so they become `unconfirmed`, shown to managers
        and never re-posted blindly."""
        return self._settle_sending("deliveries", team_id)

    def deliveries(self, team_id: str, channel_id: str) -> list[Delivery]:
        """The channel's history, oldest week first."""
        rows = self._rows(
            "select * from deliveries where team_id = ? and channel_id = ? order by week",
            [team_id, channel_id],
        )
        return [self._delivery(r) for r in rows]

    def delivered_channels(self, team_id: str, week: str) -> set[str]:
        rows = self._rows(
            "select channel_id from deliveries where team_id = ? and week = ?", [team_id, week]
        )
        return {r["channel_id"] for r in rows}

    def delivery_by_ts(self, team_id: str, channel_id: str, ts: str) -> Delivery | None:
        row = self._one(
            "select * from deliveries where team_id = ? and channel_id = ? and ts = ?",
            [team_id, channel_id, ts],
        )
        return self._delivery(row) if row else None

    def unconfirmed(self, team_id: str, now: float | None = None) -> list[Delivery]:
        """Deliveries Slack may have without our record of it, and claims still `sending`
        while no fan-out of the workspace runs (the next run settles them as unconfirmed)."""
        now = clock.time() if now is None else now
        rows = self._rows(
            "select * from deliveries where team_id = ? and (state = 'unconfirmed' or "
            "(state = 'sending' and not exists (select 1 from leases l "
            "where l.name = ? and l.expires_at > ?))) "
            "order by week, channel_id",
            [team_id, fanout_lease(team_id), now],
        )
        return [self._delivery(r) for r in rows]

    # --- rows to records --------------------------------------------------------------

    @staticmethod
    def _break(row: dict[str, Any]) -> SchoolBreak:
        return SchoolBreak(date.fromisoformat(row["start"]), date.fromisoformat(row["end"]))

    @staticmethod
    def _subscription(row: dict[str, Any]) -> Subscription:
        return from_row(
            Subscription,
            row,
            phases=tuple(int(p) for p in row["phases"].split(",") if p),
            active=bool(row["active"]),
        )

    @staticmethod
    def _delivery(row: dict[str, Any]) -> Delivery:
        return from_row(Delivery, row)
