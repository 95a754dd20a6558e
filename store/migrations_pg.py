"""The schema on PostgreSQL: one twin for each migration in `store/migrations.py`, same name.

A new SQLite migration needs its twin here (tests/store/test_migrations.py checks the names
match, in order). The same keys hold the same guarantees on both databases: one delivery per
(team, channel, week), one completion per (team, channel, move, user).

Text columns use the "C" collation: byte order, as SQLite compares, so IDs, ISO dates and
message timestamps sort the same on both, whatever locale the server was created with.
"""

from __future__ import annotations

from dataclasses import dataclass

MIGRATIONS_TABLE = "progression_migrations"

TEXT = 'text collate "C"'


@dataclass(frozen=True)
class PostgresMigration:
    name: str
    statements: tuple[str, ...]


postgres_migrations: list[PostgresMigration] = []


def migration(name: str, *statements: str) -> None:
    if any(m.name == name for m in postgres_migrations):
        raise ValueError(f"PostgreSQL migration {name!r} is already registered")
    postgres_migrations.append(PostgresMigration(name, statements))


migration(
    "m001_nudges",
    f"""create table schedules (
        team_id {TEXT} primary key,
        weekday integer,
        at {TEXT},
        timezone {TEXT},
        updated_at {TEXT}
    )""",
    f"""create table skips (
        team_id {TEXT},
        start {TEXT},
        "end" {TEXT},
        added_by {TEXT},
        added_at {TEXT},
        primary key (team_id, start, "end")
    )""",
    f"""create table subscriptions (
        team_id {TEXT},
        channel_id {TEXT},
        role {TEXT} not null,
        phases {TEXT},
        subscribed_by {TEXT},
        subscribed_at {TEXT},
        first_week {TEXT},
        active integer not null,
        inactive_reason {TEXT},
        inactive_at {TEXT},
        primary key (team_id, channel_id)
    )""",
    f"""create table deliveries (
        team_id {TEXT},
        channel_id {TEXT},
        week {TEXT},
        role {TEXT},
        ref {TEXT} not null,
        round integer not null,
        state {TEXT} not null,
        owner {TEXT},
        ts {TEXT},
        claimed_at {TEXT},
        posted_at {TEXT},
        primary key (team_id, channel_id, week)
    )""",
    f"""create table checkoffs (
        team_id {TEXT},
        channel_id {TEXT},
        ref {TEXT},
        user_id {TEXT},
        checked_at {TEXT},
        message_ts {TEXT},
        primary key (team_id, channel_id, ref, user_id)
    )""",
    "create index idx_checkoffs_team_id_user_id on checkoffs (team_id, user_id)",
)

migration(
    "m002_checkoff_reactions",
    f"""create table checkoff_reactions (
        team_id {TEXT},
        channel_id {TEXT},
        ts {TEXT},
        user_id {TEXT},
        emoji {TEXT},
        ref {TEXT},
        reacted_at {TEXT},
        primary key (team_id, channel_id, ts, user_id, emoji)
    )""",
    "create index idx_checkoff_reactions_team_id_channel_id_ref_user_id "
    "on checkoff_reactions (team_id, channel_id, ref, user_id)",
    f"""create table processed_events (
        event_id {TEXT} primary key,
        received_at double precision not null
    )""",
    f"""create table slack_users (
        team_id {TEXT},
        user_id {TEXT},
        is_bot integer,
        checked_at {TEXT},
        primary key (team_id, user_id)
    )""",
)

migration(
    "m010_slack_ack_seen_requests",
    f"""create table slack_ack_seen_requests (
        signature {TEXT} primary key,
        seen_at double precision not null
    )""",
)

migration(
    "m011_slack_order_reaction_order",
    # A reaction's state is decided by the latest of its events by Slack's time (see SQLite's).
    "alter table checkoff_reactions add column present integer not null default 1",
    "alter table checkoff_reactions add column event_time integer",
    "alter table checkoff_reactions add column event_ts double precision",
    "alter table checkoffs add column by_home integer not null default 0",
    "update checkoffs set by_home = 1 where not exists (select 1 from checkoff_reactions r "
    "where r.team_id = checkoffs.team_id and r.channel_id = checkoffs.channel_id "
    "and r.ref = checkoffs.ref and r.user_id = checkoffs.user_id)",
)

migration(
    "m012_slack_order_fanout_leases",
    f"""create table fanout_leases (
        team_id {TEXT} primary key,
        owner {TEXT} not null,
        expires_at double precision not null,
        taken_at double precision
    )""",
)

migration(
    "m013_slack_order_channel_members",
    f"""create table channel_members (
        team_id {TEXT},
        user_id {TEXT},
        channel_id {TEXT},
        primary key (team_id, user_id, channel_id)
    )""",
    f"""create table member_checks (
        team_id {TEXT},
        user_id {TEXT},
        checked_at double precision not null,
        covers {TEXT},
        primary key (team_id, user_id)
    )""",
)


migration(
    "m014_runner_leases_outbox",
    f"""create table leases (
        name {TEXT} primary key,
        holder {TEXT} not null,
        expires_at double precision not null,
        taken_at double precision
    )""",
    f"""create table outbox (
        kind {TEXT},
        team_id {TEXT},
        subject {TEXT},
        seq integer not null,
        created_at double precision not null,
        primary key (kind, team_id, subject)
    )""",
    "create index outbox_created_at on outbox (created_at)",
)

migration(
    "m015_one_leases_table",
    # Every lease in `leases`: a workspace's fan-out lease becomes "fanout TEAM" (see SQLite's).
    "insert into leases (name, holder, expires_at, taken_at) "
    "select 'fanout ' || team_id, owner, expires_at, taken_at from fanout_leases",
    "drop table fanout_leases",
)

migration(
    "m016_manager_checks",
    f"""create table manager_checks (
        team_id {TEXT},
        user_id {TEXT},
        is_manager integer not null,
        checked_at double precision not null,
        primary key (team_id, user_id)
    )""",
)

migration(
    "m017_campuses_digests_reminders",
    f"alter table subscriptions add column campus {TEXT}",
    "alter table subscriptions add column remind_weekday integer",
    f"""create table digest_schedules (
        team_id {TEXT} primary key,
        weekday integer not null,
        at {TEXT} not null,
        enabled integer not null,
        updated_at {TEXT}
    )""",
    f"""create table weekly_posts (
        kind {TEXT},
        team_id {TEXT},
        channel_id {TEXT},
        week {TEXT},
        state {TEXT} not null,
        owner {TEXT},
        ts {TEXT},
        claimed_at {TEXT},
        posted_at {TEXT},
        primary key (kind, team_id, channel_id, week)
    )""",
    f"""create table channel_sizes (
        team_id {TEXT},
        channel_id {TEXT},
        name {TEXT},
        people integer,
        checked_at double precision not null,
        primary key (team_id, channel_id)
    )""",
)

migration(
    "m018_installations_oauth_states",
    f"""create table installations (
        enterprise_id {TEXT},
        team_id {TEXT},
        is_enterprise_install integer not null,
        app_id {TEXT},
        enterprise_name {TEXT},
        enterprise_url {TEXT},
        team_name {TEXT},
        bot_token {TEXT} not null,
        bot_id {TEXT},
        bot_user_id {TEXT},
        bot_scopes {TEXT},
        bot_refresh_token {TEXT},
        bot_token_expires_at double precision,
        installer_user_id {TEXT},
        installed_at double precision not null,
        primary key (enterprise_id, team_id)
    )""",
    f"""create table enterprise_teams (
        team_id {TEXT} primary key,
        enterprise_id {TEXT} not null
    )""",
    f"""create table oauth_states (
        state {TEXT} primary key,
        expires_at double precision not null
    )""",
    "create index oauth_states_expires_at on oauth_states (expires_at)",
)

migration(
    "m019_departures",
    f"""create table departures (
        team_id {TEXT} primary key,
        reason {TEXT} not null,
        left_at {TEXT} not null
    )""",
)
