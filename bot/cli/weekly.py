"""`progression-bot nudge`, `digest` and `remind` [--week 2026-W48] [--dry-run] [--team T]:
one week's nudges, digests or reminders now.

For cron-style deployments and re-runs, with the scheduled run's guarantees (the same claims in
the store). Without `--week` each delivers the week that is due now in each workspace (the
current week once its slot has passed, breaks applied), exactly what the scheduled job would do:
cron can run it every few minutes without posting early. `--week` delivers that week right
away, unless it is a school break. The exit status is 1 when channels were left to retry.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime

from bot.background.duties import DIGEST_MESSAGES
from bot.cli.errors import CliError, chosen_team
from bot.cli.registry import Commands
from bot.settings import Settings
from bot.slack.client import slack_client, workspace_clients
from bot.views import NUDGE_MESSAGES, reminder_message
from progression.calendar import (
    CalendarError,
    WeeklySlot,
    due_week,
    next_slot,
    slot_in_week,
    week_start,
)
from progression.wording import when
from scheduler.clock import utc_now
from scheduler.digest import digest_slot, run_digest
from scheduler.fanout import DEFAULT_CONCURRENCY, FanoutContext, FanoutReport, run_fanout
from scheduler.lease import FanoutRunning
from scheduler.limits import each_without_retries, without_retries, workspace_limits
from scheduler.plan import workspace_slot
from scheduler.reminders import run_reminders
from store import BACKGROUND_WRITE_WAIT_SECONDS, Store
from store.installations import WorkspaceNotInstalled

# Exit status when channels were left to retry or refused: cron wrappers notice.
INCOMPLETE = 1

# One week's run of a kind: (context, team, week, now, dry run, default timezone) -> report.
Run = Callable[[FanoutContext, str, str, datetime, bool, str], FanoutReport]
# When a kind goes out in a workspace: (store, team, default timezone) -> slot, or None (off).
Slot = Callable[[Store, str, str], WeeklySlot | None]


def _nudges(
    context: FanoutContext, team: str, week: str, now: datetime, dry: bool, tz: str
) -> FanoutReport:
    return run_fanout(context, team, week, now, dry_run=dry)


def _digests(
    context: FanoutContext, team: str, week: str, now: datetime, dry: bool, tz: str
) -> FanoutReport:
    return run_digest(context, team, week, now, DIGEST_MESSAGES, default_tz=tz, dry_run=dry)


def _reminders(
    context: FanoutContext, team: str, week: str, now: datetime, dry: bool, tz: str
) -> FanoutReport:
    return run_reminders(context, team, week, now, reminder_message, default_tz=tz, dry_run=dry)


# name: (what it posts, its run, when it goes out)
KINDS: dict[str, tuple[str, Run, Slot]] = {
    "nudge": ("nudge", _nudges, workspace_slot),
    "digest": ("digest", _digests, digest_slot),
    "remind": ("reminders", _reminders, workspace_slot),
}


def register(commands: Commands) -> None:
    helps = {
        "nudge": "run one week's nudge fan-out now (cron, re-runs)",
        "digest": "post one week's digests now: each campus's to its leaders, the district's "
        "to systems channels (cron, re-runs)",
        "remind": "send one week's reminders now, whatever their weekday (cron, re-runs)",
    }
    for name, help in helps.items():
        parser = commands.add(name, _runner(name), help=help, description=__doc__, verbatim=True)
        parser.add_argument("--week", type=_week, help="ISO week like 2026-W48 (default: due now)")
        parser.add_argument(
            "--dry-run", action="store_true", help="print what each channel would get, post nothing"
        )
        parser.add_argument("--team", help="one workspace's team id (default: every workspace)")
        parser.add_argument(
            "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="channels posted at once"
        )


def _runner(name: str) -> Callable[[argparse.Namespace, Settings], int]:
    def run(args: argparse.Namespace, settings: Settings) -> int:
        return run_weekly(name, args, settings)

    return run


def run_weekly(name: str, args: argparse.Namespace, settings: Settings) -> int:
    """Run one kind's week for each workspace and print what each channel got."""
    what, run, slot_of = KINDS[name]
    team = chosen_team(args.team)
    if (
        not args.dry_run
        and not settings.multi_workspace  # each workspace's token is in the store
        and (settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value())
    ):
        raise CliError(f"SLACK_BOT_TOKEN is not set: the {what} cannot be posted (try --dry-run)")
    # A database that does not exist means cron runs this in the wrong folder or with the wrong
    # PROGRESSION_DB: creating an empty one would report "nothing to do" and post nothing.
    store = Store(settings.progression_db, create=False, write_wait=BACKGROUND_WRITE_WAIT_SECONDS)
    progression = settings.load_progression()
    fanout = FanoutContext(
        store,
        progression,
        without_retries(slack_client(settings)),
        NUDGE_MESSAGES,
        limits=workspace_limits(settings.progression_posts_per_minute),
        concurrency=args.concurrency,
        client_for=each_without_retries(
            workspace_clients(settings, store) if settings.multi_workspace else None
        ),
    )
    teams = [team] if team is not None else store.teams()
    if not teams:
        print("No workspace has subscribed channels yet.")
        return 0
    status = 0
    for team_id in teams:
        now = utc_now()
        slot = slot_of(store, team_id, settings.progression_tz)
        if slot is None:
            print(f"{team_id}: the {what} is turned off (`/progression {name}` shows it)")
            continue
        breaks = store.breaks(team_id)
        week = args.week or due_week(now, slot, breaks)
        if week is None:
            try:
                _, at = next_slot(now, slot, breaks)
            except CalendarError as error:
                print(f"{team_id}: nothing due, and {error}")
                continue
            print(f"{team_id}: nothing due yet; the next {what} goes out {when(at)}")
            continue
        if slot_in_week(week, slot, breaks) is None:
            print(f"{team_id} {week}: a school break, nothing posted")
            continue
        try:
            report = run(fanout, team_id, week, now, args.dry_run, settings.progression_tz)
        except FanoutRunning as running:
            print(
                f"{team_id} {week}: {running}, nothing posted by this one; "
                "run it again once that one is done"
            )
            status = INCOMPLETE
            continue
        except WorkspaceNotInstalled:
            print(
                f"{team_id} {week}: the app is not installed there (Add to Slack), nothing posted"
            )
            status = INCOMPLETE
            continue
        print(format_report(report))
        if report.retry or report.failed:
            status = INCOMPLETE
    return status


def format_report(report: FanoutReport) -> str:
    """A line per channel, then the totals."""
    heading = f"{report.team_id} {report.week}" + (
        " (dry run: nothing posted)" if report.dry_run else ""
    )
    lines = [heading]
    for result in report.results:
        lines.append(
            f"  {result.channel_id:<12} {result.outcome:<11} {result.ref or '-':<11} "
            f"{result.detail}".rstrip()
        )
    lines.append(report.summary())
    return "\n".join(lines)


def _week(value: str) -> str:
    try:
        week_start(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return value
