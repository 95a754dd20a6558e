"""Check-offs: who completed which move in which channel, and the reactions that say so.

A completion is one row per (team, channel, move, user): the primary key makes a repeated or
concurrent record a no-op. Reactions and Slack's event ids are kept beside it so a removed
reaction and a retried event are settled from the database alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from progression.campus import DISTRICT
from store.backend import Session
from store.base import StoreBase
from store.outbox import enqueue
from store.records import from_row

EVENT_MEMORY_SECONDS = 24 * 3600.0
_PRUNE_EVERY_SECONDS = 600.0

Outcome = Literal["duplicate", "unchanged", "checked", "unchecked"]


@dataclass(frozen=True)
class ReactionChange:
    """A check-off emoji added to or removed from a nudge (`ts`) that posted move `ref`."""

    team_id: str
    channel_id: str
    ts: str
    ref: str
    user_id: str
    emoji: str
    added: bool
    at: datetime
    # Slack's time for the event: the envelope's `event_time` (seconds), then the event's own
    # `event_ts` (to the microsecond). The latest event of a reaction decides its state.
    event_time: int = 0
    event_ts: float = 0.0

    @property
    def order(self) -> tuple[int, float]:
        return (self.event_time, self.event_ts)


@dataclass(frozen=True)
class Checkoff:
    team_id: str
    channel_id: str
    ref: str
    user_id: str
    checked_at: str
    message_ts: str | None
    role: str | None = None
    by_home: bool = False  # marked done on App Home (it stays until undone there)
    campus: str | None = None  # with the role, from a query that joins it in


class CheckoffStore(StoreBase):
    """Mixed into `Store`; the group commit is shared with the deliveries."""

    # --- recording --------------------------------------------------------------------

    def record_reaction(
        self,
        change: ReactionChange,
        event_id: str | None,
        received_at: float,
        *,
        look_up_user: bool = False,
    ) -> Outcome:
        """Apply one reaction event once: the first insert of `event_id` processes it.

        A change to the count asks the runner to update the nudge's live count, and
        `look_up_user` asks it whether the user is a bot, both in the same transaction
        (the outbox, store/outbox.py). Concurrent callers share a transaction (group
        commit): a burst of events costs one disk sync per batch instead of one per event, and
        each caller returns once its own event is committed.
        """
        outcome = self._grouped(
            lambda db: self._apply(db, change, event_id, received_at, look_up_user)
        )
        self._maybe_prune(received_at)
        return outcome

    def _apply(
        self,
        db: Session,
        change: ReactionChange,
        event_id: str | None,
        received_at: float,
        look_up_user: bool = False,
    ) -> Outcome:
        if event_id is not None:
            claimed = db.execute(
                "insert into processed_events (event_id, received_at) values (?, ?) "
                "on conflict do nothing",
                [event_id, received_at],
            )
            if not claimed:
                return "duplicate"
        outcome = self._apply_reaction(db, change)
        if outcome != "unchanged":
            subject = nudge_subject(change.channel_id, change.ts)
            enqueue(db, "count", change.team_id, subject, received_at)
        if look_up_user:
            enqueue(db, "user", change.team_id, change.user_id, received_at)
        return outcome

    def _apply_reaction(self, db: Session, change: ReactionChange) -> Outcome:
        _lock_completion(db, change.team_id, change.channel_id, change.ref, change.user_id)
        key = [change.team_id, change.channel_id, change.ts, change.user_id, change.emoji]
        # The reaction's latest state, unless a later event of it (Slack's order, not the
        # order of arrival) already decided it: then nothing changes.
        written = db.execute(
            "insert into checkoff_reactions "
            "(team_id, channel_id, ts, user_id, emoji, ref, reacted_at, present, event_time, "
            "event_ts) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "on conflict (team_id, channel_id, ts, user_id, emoji) do update set "
            "present = excluded.present, event_time = excluded.event_time, "
            "event_ts = excluded.event_ts, reacted_at = excluded.reacted_at "
            "where (coalesce(checkoff_reactions.event_time, 0), "
            "coalesce(checkoff_reactions.event_ts, 0.0)) "
            "<= (excluded.event_time, excluded.event_ts)",
            [
                *key,
                change.ref,
                change.at.isoformat(),
                int(change.added),
                change.event_time,
                change.event_ts,
            ],
        )
        if not written:
            return "unchanged"
        if change.added:
            inserted = db.execute(
                "insert into checkoffs "
                "(team_id, channel_id, ref, user_id, checked_at, message_ts, by_home) "
                "values (?, ?, ?, ?, ?, ?, 0) on conflict do nothing",
                [
                    change.team_id,
                    change.channel_id,
                    change.ref,
                    change.user_id,
                    change.at.isoformat(),
                    change.ts,
                ],
            )
            return "checked" if inserted else "unchanged"
        # Another check-off emoji on any nudge of the same move keeps the completion, and so
        # does a Mark done on App Home: a reaction takes back only what reactions made.
        if _held_by_reaction(db, change.team_id, change.channel_id, change.ref, change.user_id):
            return "unchanged"
        removed = db.execute(
            "delete from checkoffs where team_id = ? and channel_id = ? and ref = ? "
            "and user_id = ? and by_home = 0",
            [change.team_id, change.channel_id, change.ref, change.user_id],
        )
        return "unchecked" if removed else "unchanged"

    def record_checkoff(
        self,
        team_id: str,
        channel_id: str,
        ref: str,
        user_id: str,
        now: datetime,
        message_ts: str | None = None,
    ) -> bool:
        """Record a completion from App Home's "Mark done"; False when it was already there.

        It stays until "Undo" on App Home, whatever happens to the person's reactions."""
        key = [team_id, channel_id, ref, user_id]
        with self._transaction() as db:
            _lock_completion(db, *key)
            inserted = db.execute(
                "insert into checkoffs "
                "(team_id, channel_id, ref, user_id, checked_at, message_ts, by_home) "
                "values (?, ?, ?, ?, ?, ?, 1) on conflict do nothing",
                [*key, now.isoformat(), message_ts],
            )
            if not inserted:
                db.execute(
                    "update checkoffs set by_home = 1 "
                    "where team_id = ? and channel_id = ? and ref = ? and user_id = ?",
                    key,
                )
            elif message_ts:
                subject = nudge_subject(channel_id, message_ts)
                enqueue(db, "count", team_id, subject, now.timestamp())
        return inserted == 1

    def remove_checkoff(
        self,
        team_id: str,
        channel_id: str,
        ref: str,
        user_id: str,
        now: datetime,
        message_ts: str | None = None,
    ) -> bool:
        """App Home's "Undo": take back its own "Mark done"; False when nothing changed (no
        completion, or a check-off reaction still on the nudge keeps it)."""
        key = [team_id, channel_id, ref, user_id]
        where = "team_id = ? and channel_id = ? and ref = ? and user_id = ?"
        with self._transaction() as db:
            _lock_completion(db, *key)
            db.execute(f"update checkoffs set by_home = 0 where {where}", key)
            if _held_by_reaction(db, *key):
                return False
            removed = db.execute(f"delete from checkoffs where {where}", key)
            if removed and message_ts:
                subject = nudge_subject(channel_id, message_ts)
                enqueue(db, "count", team_id, subject, now.timestamp())
        return removed == 1

    def remove_user_checkoffs(
        self, team_id: str, user_id: str, now: datetime
    ) -> list[tuple[str, str]]:
        """Take back everything a user (found to be a bot) checked off; the (channel, nudge
        ts) pairs whose count changed, whose live counts the runner is asked to update."""
        with self._transaction() as db:
            rows = db.rows(
                "delete from checkoffs where team_id = ? and user_id = ? "
                "returning channel_id, message_ts",
                [team_id, user_id],
            )
            db.execute(
                "delete from checkoff_reactions where team_id = ? and user_id = ?",
                [team_id, user_id],
            )
            found = {(r["channel_id"], r["message_ts"]) for r in rows if r["message_ts"]}
            for channel_id, ts in found:
                enqueue(db, "count", team_id, nudge_subject(channel_id, ts), now.timestamp())
        return sorted(found)

    # --- who is a bot -----------------------------------------------------------------

    def known_bot(self, team_id: str, user_id: str) -> bool | None:
        """True or False once `remember_user` was told; None for a user never looked up."""
        row = self._one(
            "select is_bot from slack_users where team_id = ? and user_id = ?", [team_id, user_id]
        )
        return None if row is None else bool(row["is_bot"])

    def remember_user(self, team_id: str, user_id: str, is_bot: bool, now: datetime) -> None:
        # Through the group commit, so the runner's write takes its turn with the workers'.
        self._write(
            "insert into slack_users (team_id, user_id, is_bot, checked_at) values (?, ?, ?, ?) "
            "on conflict (team_id, user_id) do update set is_bot = excluded.is_bot, "
            "checked_at = excluded.checked_at",
            [team_id, user_id, int(is_bot), now.isoformat()],
        )

    # --- reading ----------------------------------------------------------------------

    def checked_refs(self, team_id: str, channel_id: str) -> set[str]:
        """The moves someone in the channel has checked off."""
        rows = self._rows(
            "select distinct ref from checkoffs where team_id = ? and channel_id = ?",
            [team_id, channel_id],
        )
        return {r["ref"] for r in rows}

    def checkoff_count(self, team_id: str, channel_id: str, ref: str) -> int:
        count = self._value(
            "select count(*) as n from checkoffs where team_id = ? and channel_id = ? and ref = ?",
            [team_id, channel_id, ref],
        )
        return int(count)

    def checkoff_counts(
        self, team_id: str, channel_id: str | None = None
    ) -> dict[tuple[str, str], int]:
        """How many checked each move off, by (channel, ref); one channel or the workspace."""
        where, params = "team_id = ?", [team_id]
        if channel_id is not None:
            where, params = where + " and channel_id = ?", [*params, channel_id]
        rows = self._rows(
            f"select channel_id, ref, count(*) as n from checkoffs where {where} "
            "group by channel_id, ref",
            params,
        )
        return {(r["channel_id"], r["ref"]): int(r["n"]) for r in rows}

    def checked_by(self, team_id: str, channel_id: str, ref: str) -> list[str]:
        """Who checked the move off in the channel, first first."""
        rows = self._rows(
            "select user_id from checkoffs where team_id = ? and channel_id = ? and ref = ? "
            "order by checked_at, user_id",
            [team_id, channel_id, ref],
        )
        return [r["user_id"] for r in rows]

    def user_checkoffs(self, team_id: str, user_id: str) -> list[Checkoff]:
        """One person's completions in every channel of the workspace."""
        rows = self._rows(
            "select * from checkoffs where team_id = ? and user_id = ? "
            "order by checked_at, channel_id, ref",
            [team_id, user_id],
        )
        return [_checkoff(row) for row in rows]

    def user_channels(self, team_id: str, user_id: str) -> list[str]:
        """Channels where the user has checked something off or has a check-off reaction."""
        rows = self._rows(
            "select channel_id from checkoffs where team_id = ? and user_id = ? union "
            "select channel_id from checkoff_reactions where team_id = ? and user_id = ? "
            "and present = 1",
            [team_id, user_id, team_id, user_id],
        )
        return sorted(r["channel_id"] for r in rows)

    def all_checkoffs(self, team_id: str | None = None) -> Iterator[Checkoff]:
        """Every completion with the role and campus of its channel, for export; ordered for
        humans. A role channel not given a campus yet counts in "District", as the digest
        counts it.

        One workspace's, or every workspace's only for None: an empty id is no workspace."""
        where, params = ("where c.team_id = ?", [team_id]) if team_id is not None else ("", [])
        rows = self._rows(
            "select c.*, coalesce(d.role, s.role) as role, case when s.channel_id is null "
            "then null else coalesce(s.campus, ?) end as campus from checkoffs c "
            "left join deliveries d on d.team_id = c.team_id and d.channel_id = c.channel_id "
            "and d.ts = c.message_ts "
            "left join subscriptions s on s.team_id = c.team_id and s.channel_id = c.channel_id "
            f"{where} order by c.team_id, c.channel_id, c.checked_at, c.user_id",
            [DISTRICT, *params],
        )
        for row in rows:
            yield _checkoff(row)

    # --- housekeeping -----------------------------------------------------------------

    def prune_events(self, before: float) -> int:
        """Forget event ids received before `before` (Slack retries within minutes)."""
        return self._execute("delete from processed_events where received_at < ?", [before])

    def _maybe_prune(self, now: float) -> None:
        last: float = getattr(self, "_events_pruned_at", 0.0)
        if now - last >= _PRUNE_EVERY_SECONDS:
            self._events_pruned_at = now
            self.prune_events(now - EVENT_MEMORY_SECONDS)


def nudge_subject(channel_id: str, ts: str) -> str:
    """The outbox subject of a nudge's live count."""
    return f"{channel_id} {ts}"


def _checkoff(row: dict[str, Any]) -> Checkoff:
    """`role` only from a query that joins it in."""
    return from_row(Checkoff, row, by_home=bool(row.get("by_home")))


def _lock_completion(db: Session, team_id: str, channel_id: str, ref: str, user_id: str) -> None:
    """One person's reactions and App Home buttons for one move are settled one at a time, on
    every host: each reads the others' rows (another check emoji? a Mark done?) before it
    writes."""
    db.lock(f"checkoff {team_id} {channel_id} {ref} {user_id}")


def _held_by_reaction(db: Session, team_id: str, channel_id: str, ref: str, user_id: str) -> bool:
    """Whether the person still has a check-off emoji on a nudge of the move."""
    row = db.one(
        "select 1 as held from checkoff_reactions where team_id = ? and channel_id = ? "
        "and ref = ? and user_id = ? and present = 1 limit 1",
        [team_id, channel_id, ref, user_id],
    )
    return row is not None
