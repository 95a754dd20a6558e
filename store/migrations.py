"""The schema, as an ordered set of migrations applied at start-up.

Guarantees live here, not in Python locks: one delivery per (team, channel, week) is a primary
key, and one completion per (team, channel, move, user) is a primary key.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("progression-bot")


@migrations()
def m001_nudges(db: Database) -> None:
    # A workspace's weekly slot; no row means the defaults (Monday 08:00, PROGRESSION_TZ).
    db.table("schedules").create(
        {"team_id": str, "weekday": int, "at": str, "timezone": str, "updated_at": str},
        pk="team_id",
    )
    db.table("skips").create(
        {"team_id": str, "start": str, "end": str, "added_by": str, "added_at": str},
        pk=("team_id", "start", "end"),
    )
    db.table("subscriptions").create(
        {
            "team_id": str,
            "channel_id": str,
            "role": str,
            "phases": str,  # comma-separated phase numbers; empty means all
            "subscribed_by": str,
            "subscribed_at": str,
            "first_week": str,  # ISO week of the first nudge: a late subscriber starts next slot
            "active": int,
            "inactive_reason": str,
            "inactive_at": str,
        },
        pk=("team_id", "channel_id"),
        not_null={"role", "active"},
    )
    db.table("deliveries").create(
        {
            "team_id": str,
            "channel_id": str,
            "week": str,
            "role": str,
            "ref": str,  # "3.8", or "celebration"
            "round": int,
            "state": str,  # sending -> posted; a crash mid-send leaves sending/unconfirmed
            "owner": str,  # "host:pid" of the process that claimed it
            "ts": str,
            "claimed_at": str,
            "posted_at": str,
        },
        pk=("team_id", "channel_id", "week"),
        not_null={"ref", "round", "state"},
    )
    db.table("checkoffs").create(
        {
            "team_id": str,
            "channel_id": str,
            "ref": str,
            "user_id": str,
            "checked_at": str,
            "message_ts": str,
        },
        pk=("team_id", "channel_id", "ref", "user_id"),
    )
    db.table("checkoffs").create_index(["team_id", "user_id"])


@migrations()
def m002_checkoff_reactions(db: Database) -> None:
    # Each check-off emoji a user has on a nudge, so a `reaction_removed` knows without asking
    # Slack whether that user still has another one on it (the check-off stays).
    db.table("checkoff_reactions").create(
        {
            "team_id": str,
            "channel_id": str,
            "ts": str,
            "user_id": str,
            "emoji": str,
            "ref": str,
            "reacted_at": str,
        },
        pk=("team_id", "channel_id", "ts", "user_id", "emoji"),
    )
    db.table("checkoff_reactions").create_index(["team_id", "channel_id", "ref", "user_id"])
    # Slack's retried deliveries: the insert that wins processes the event; pruned after a day
    # (no index on received_at: one insert per event matters more than a scan every 10 min).
    db.table("processed_events").create(
        {"event_id": str, "received_at": float}, pk="event_id", not_null={"received_at"}
    )
    # Who is a bot, from users.info, so each user is asked about once.
    db.table("slack_users").create(
        {"team_id": str, "user_id": str, "is_bot": int, "checked_at": str},
        pk=("team_id", "user_id"),
    )


@migrations()
def m010_slack_ack_seen_requests(db: Database) -> None:
    # The signature of each signed command and button press, for five minutes: a replay of
    # one inside Slack's timestamp window is answered but not acted on (store/requests.py).
    db.table("slack_ack_seen_requests").create(
        {"signature": str, "seen_at": float}, pk="signature", not_null={"seen_at"}
    )


@migrations()
def m011_slack_order_reaction_order(db: Database) -> None:
    # A reaction's state is decided by the latest of its events by Slack's time, whatever order
    # they arrive in: a removed reaction stays as a row (present = 0) with the time of the event
    # that removed it, so an earlier add that Slack retries later cannot bring it back.
    db.execute("alter table checkoff_reactions add column present integer not null default 1")
    db.execute("alter table checkoff_reactions add column event_time integer")
    db.execute("alter table checkoff_reactions add column event_ts real")
    # A completion made on App Home stays until undone there; a reaction takes back only what a
    # reaction made. Existing completions with no reaction behind them came from App Home.
    db.execute("alter table checkoffs add column by_home integer not null default 0")
    db.execute(
        "update checkoffs set by_home = 1 where not exists (select 1 from checkoff_reactions r "
        "where r.team_id = checkoffs.team_id and r.channel_id = checkoffs.channel_id "
        "and r.ref = checkoffs.ref and r.user_id = checkoffs.user_id)"
    )


@migrations()
def m012_slack_order_fanout_leases(db: Database) -> None:
    # One fan-out per workspace at a time across processes and hosts (into `leases` in m015).
    # Times are seconds since the epoch: hosts compare them, so they need synchronized clocks.
    db.table("fanout_leases").create(
        {"team_id": str, "owner": str, "expires_at": float, "taken_at": float},
        pk="team_id",
        not_null={"owner", "expires_at"},
    )


@migrations()
def m013_slack_order_channel_members(db: Database) -> None:
    # The channels each person is in (users.conversations), remembered for a few minutes so
    # App Home does not ask Slack at every open; member_checks says when it was asked.
    db.table("channel_members").create(
        {"team_id": str, "user_id": str, "channel_id": str},
        pk=("team_id", "user_id", "channel_id"),
    )
    db.table("member_checks").create(
        # covers: a digest of the workspace's role channels when asked; a new one asks again
        {"team_id": str, "user_id": str, "checked_at": float, "covers": str},
        pk=("team_id", "user_id"),
        not_null={"checked_at"},
    )


@migrations()
def m014_runner_leases_outbox(db: Database) -> None:
    # Named leases: one row per name, renewed by its holder ("host:pid") until it lapses.
    db.table("leases").create(
        {"name": str, "holder": str, "expires_at": float, "taken_at": float},
        pk="name",
        not_null={"holder", "expires_at"},
    )
    # Work handed from web workers to the runner, written with the change that causes it; one
    # row per (kind, team, subject), `seq` counting the changes since the runner last did it.
    db.table("outbox").create(
        {"kind": str, "team_id": str, "subject": str, "seq": int, "created_at": float},
        pk=("kind", "team_id", "subject"),
        not_null={"seq", "created_at"},
    )
    db.table("outbox").create_index(["created_at"])


@migrations()
def m015_one_leases_table(db: Database) -> None:
    # One table for every lease: a workspace's fan-out lease becomes "fanout TEAM" in `leases`
    # (store/leases.py). A run under way keeps its lease; an expired row moves too, harmless.
    db.execute(
        "insert into leases (name, holder, expires_at, taken_at) "
        "select 'fanout ' || team_id, owner, expires_at, taken_at from fanout_leases"
    )
    db.table("fanout_leases").drop()


@migrations()
def m016_manager_checks(db: Database) -> None:
    # Whether a person manages the workspace (an admin or owner, from users.info), remembered
    # for a few minutes in the database, so every web worker and host shares Slack's answer.
    db.table("manager_checks").create(
        {"team_id": str, "user_id": str, "is_manager": int, "checked_at": float},
        pk=("team_id", "user_id"),
        not_null={"is_manager", "checked_at"},
    )


@migrations()
def m017_campuses_digests_reminders(db: Database) -> None:
    # A role channel's campus (None until proposed from its name or named by a manager), and
    # the weekday of its reminder (None: no reminders).
    db.table("subscriptions").add_column("campus", str)
    db.table("subscriptions").add_column("remind_weekday", int)
    # When a workspace's digest goes out; no row means the default (Friday 14:00).
    db.table("digest_schedules").create(
        {"team_id": str, "weekday": int, "at": str, "enabled": int, "updated_at": str},
        pk="team_id",
        not_null={"weekday", "at", "enabled"},
    )
    # Digests, their charts and reminders: claimed before they are posted and confirmed after,
    # one per (kind, team, channel, week), as deliveries are for nudges.
    db.table("weekly_posts").create(
        {
            "kind": str,  # "digest", "chart" or "reminder"
            "team_id": str,
            "channel_id": str,
            "week": str,
            "state": str,  # sending -> posted; sending/unconfirmed after a crash
            "owner": str,
            "ts": str,
            "claimed_at": str,
            "posted_at": str,
        },
        pk=("kind", "team_id", "channel_id", "week"),
        not_null={"state"},
    )
    # What Slack last said of a role channel: its name (a campus is proposed from it) and how
    # many people are in it (the digest's "of M"), the app not counted.
    db.table("channel_sizes").create(
        {"team_id": str, "channel_id": str, "name": str, "people": int, "checked_at": float},
        pk=("team_id", "channel_id"),
        not_null={"checked_at"},
    )


@migrations()
def m018_installations_oauth_states(db: Database) -> None:
    # Multi-workspace mode: one row per installation of the app, a workspace's or, on
    # Enterprise Grid, an org-wide one (team_id '' then: it answers for every workspace of the
    # org). '' stands for "none" in the key, as a primary key column cannot be null everywhere.
    # Only the bot's token is kept: the app asks for no user scopes.
    db.table("installations").create(
        {
            "enterprise_id": str,
            "team_id": str,
            "is_enterprise_install": int,
            "app_id": str,
            "enterprise_name": str,
            "enterprise_url": str,
            "team_name": str,
            "bot_token": str,
            "bot_id": str,
            "bot_user_id": str,
            "bot_scopes": str,
            "bot_refresh_token": str,
            "bot_token_expires_at": float,  # seconds since the epoch; None: it never expires
            "installer_user_id": str,
            "installed_at": float,
        },
        pk=("enterprise_id", "team_id"),
        not_null={"is_enterprise_install", "bot_token", "installed_at"},
    )
    # Which org a workspace belongs to, learned from its requests: background work finds an
    # org-wide installation's token for a workspace from it.
    db.table("enterprise_teams").create(
        {"team_id": str, "enterprise_id": str}, pk="team_id", not_null={"enterprise_id"}
    )
    # The OAuth flow's states, in the database so that any worker accepts one another issued;
    # each is consumed once, before it expires.
    db.table("oauth_states").create(
        {"state": str, "expires_at": float}, pk="state", not_null={"expires_at"}
    )
    db.table("oauth_states").create_index(["expires_at"])


@migrations()
def m019_departures(db: Database) -> None:
    # A workspace that removed the app (app_uninstalled, or its bot token revoked): its
    # background work stops, and its data is deleted once it has been gone the retention days.
    db.table("departures").create(
        {"team_id": str, "reason": str, "left_at": str},
        pk="team_id",
        not_null={"reason", "left_at"},
    )
