"""Campuses, the digest's schedule, reminders, and the weekly posts that are not nudges
(digests, their charts, reminders), each claimed before it is posted and confirmed after.

The standing of every role channel, for the digest, is read here in a few grouped queries:
a district of 60 campuses with a year of check-offs is a handful of statements, not one per
channel.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from progression.digest import ChannelStanding, Posted
from store.base import StoreBase
from store.outbox import enqueue
from store.records import (
    CELEBRATION,
    ChannelSize,
    DigestSchedule,
    Subscription,
    WeeklyPost,
    from_row,
)

PostKind = Literal["digest", "chart", "reminder"]


class DigestStore(StoreBase):
    """Mixed into `Store`, beside `NudgeStore`, whose subscriptions it reads."""

    if TYPE_CHECKING:

        def subscriptions(self, team_id: str | None = None) -> list[Subscription]: ...

        @staticmethod
        def _subscription(row: dict[str, Any]) -> Subscription: ...

    # --- campuses and reminders -------------------------------------------------------

    def set_campus(self, team_id: str, channel_id: str, campus: str) -> Subscription | None:
        """Name the role channel's campus; None when the channel is not a role channel."""
        row = self._grouped(
            lambda db: db.one(
                "update subscriptions set campus = ? where team_id = ? and channel_id = ? "
                "returning *",
                [campus, team_id, channel_id],
            )
        )
        return None if row is None else self._subscription(row)

    def propose_campus(self, team_id: str, channel_id: str, campus: str) -> bool:
        """The campus proposed from the channel's name, unless it has one already."""
        return bool(
            self._write(
                "update subscriptions set campus = ? where team_id = ? and channel_id = ? "
                "and campus is null",
                [campus, team_id, channel_id],
            )
        )

    def set_reminder(self, team_id: str, channel_id: str, weekday: int | None) -> bool:
        """Remind the channel on `weekday` (None: no more reminders); False when it is not a
        role channel. The runner re-arms the workspace's reminders in the same transaction."""
        with self._transaction() as db:
            changed = db.execute(
                "update subscriptions set remind_weekday = ? where team_id = ? and channel_id = ?",
                [weekday, team_id, channel_id],
            )
            if changed:
                enqueue(db, "arm", team_id, "", clock.time())
        return bool(changed)

    # --- the digest's schedule ----------------------------------------------------------

    def digest_schedule(self, team_id: str) -> DigestSchedule | None:
        """The workspace's own digest schedule; None means the default."""
        row = self._one("select * from digest_schedules where team_id = ?", [team_id])
        return None if row is None else from_row(DigestSchedule, row, enabled=bool(row["enabled"]))

    def set_digest_schedule(
        self, team_id: str, weekday: int, at: str, enabled: bool, now: datetime
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "insert into digest_schedules (team_id, weekday, at, enabled, updated_at) "
                "values (?, ?, ?, ?, ?) on conflict (team_id) do update set "
                "weekday = excluded.weekday, at = excluded.at, enabled = excluded.enabled, "
                "updated_at = excluded.updated_at",
                [team_id, weekday, at, int(enabled), now.isoformat()],
            )
            enqueue(db, "arm", team_id, "", now.timestamp())

    # --- weekly posts: claimed, then confirmed ----------------------------------------

    def claim_post(
        self, kind: PostKind, team_id: str, channel_id: str, week: str, owner: str, now: datetime
    ) -> bool:
        """Claim this channel's `kind` for the week before posting; False if already had."""
        return (
            self._burst_write(
                "insert into weekly_posts "
                "(kind, team_id, channel_id, week, state, owner, claimed_at) "
                "values (?, ?, ?, ?, 'sending', ?, ?) on conflict do nothing",
                [kind, team_id, channel_id, week, owner, now.isoformat()],
            )
            == 1
        )

    def confirm_post(
        self, kind: PostKind, team_id: str, channel_id: str, week: str, ts: str, now: datetime
    ) -> None:
        self._burst_write(
            "update weekly_posts set state = 'posted', ts = ?, posted_at = ? "
            "where kind = ? and team_id = ? and channel_id = ? and week = ?",
            [ts, now.isoformat(), kind, team_id, channel_id, week],
        )

    def release_post(self, kind: PostKind, team_id: str, channel_id: str, week: str) -> None:
        """Slack surely did not post it: the week is free to claim again."""
        self._write(
            "delete from weekly_posts where kind = ? and team_id = ? and channel_id = ? "
            "and week = ? and state = 'sending'",
            [kind, team_id, channel_id, week],
        )

    def mark_post_unconfirmed(
        self, kind: PostKind, team_id: str, channel_id: str, week: str, ts: str | None = None
    ) -> None:
        """Slack may have it: never posted again, shown to managers."""
        self._write(
            "update weekly_posts set state = 'unconfirmed', ts = coalesce(?, ts) "
            "where kind = ? and team_id = ? and channel_id = ? and week = ? "
            "and state = 'sending'",
            [ts, kind, team_id, channel_id, week],
        )

    def settle_post_orphans(self, team_id: str) -> int:
        """Under the workspace's posting lease: claims still `sending` were left by a run
        that died, so they become `unconfirmed`."""
        return self._settle_sending("weekly_posts", team_id)

    def weekly_posts(self, kind: PostKind, team_id: str, week: str) -> list[WeeklyPost]:
        rows = self._rows(
            "select * from weekly_posts where kind = ? and team_id = ? and week = ? "
            "order by channel_id",
            [kind, team_id, week],
        )
        return [from_row(WeeklyPost, row) for row in rows]

    # --- channels as Slack knows them ---------------------------------------------------

    def remember_channel(
        self, team_id: str, channel_id: str, name: str | None, people: int | None, now: float
    ) -> None:
        self._write(
            "insert into channel_sizes (team_id, channel_id, name, people, checked_at) "
            "values (?, ?, ?, ?, ?) on conflict (team_id, channel_id) do update set "
            "name = excluded.name, people = excluded.people, checked_at = excluded.checked_at",
            [team_id, channel_id, name, people, now],
        )

    def channel_sizes(self, team_id: str) -> dict[str, ChannelSize]:
        rows = self._rows(
            "select channel_id, name, people, checked_at from channel_sizes where team_id = ?",
            [team_id],
        )
        return {row["channel_id"]: from_row(ChannelSize, row) for row in rows}

    # --- the digest's reading -----------------------------------------------------------

    def channel_standings(self, team_id: str, weeks: int = 60) -> list[ChannelStanding]:
        """Every role channel of the workspace as the digest sees it: its campus (or None's
        stand-in, the caller's to propose), people, its last `weeks` nudges with how many
        checked each off, whether it is inactive or has an unconfirmed delivery."""
        subscriptions = self.subscriptions(team_id)
        if not subscriptions:
            return []
        nudges: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
        for row in self._rows(
            "select channel_id, week, ref, state from deliveries "
            "where team_id = ? and ref <> ? order by channel_id, week",
            [team_id, CELEBRATION],
        ):
            nudges[row["channel_id"]].append((row["week"], row["ref"], row["state"]))
        done = {
            (row["channel_id"], row["ref"]): int(row["done"])
            for row in self._rows(
                "select channel_id, ref, count(*) as done from checkoffs where team_id = ? "
                "group by channel_id, ref",
                [team_id],
            )
        }
        sizes = self.channel_sizes(team_id)
        standings = []
        for subscription in subscriptions:
            channel = subscription.channel_id
            posted = nudges.get(channel, [])[-weeks:]
            size = sizes.get(channel)
            inactive = None
            if not subscription.active:
                inactive = subscription.inactive_reason or "inactive"
            standings.append(
                ChannelStanding(
                    channel_id=channel,
                    role=subscription.role,
                    campus=subscription.campus or "",
                    people=size.people if size is not None else None,
                    nudges=tuple(Posted(w, r, done.get((channel, r), 0)) for w, r, _ in posted),
                    inactive=inactive,
                    # The latest nudge's arrival is unknown: Slack may or may not have it.
                    unconfirmed=bool(posted) and posted[-1][2] != "posted",
                )
            )
        return standings
