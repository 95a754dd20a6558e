"""`progression-bot nudge [--week 2026-W48] [--dry-run] [--team T]`: one week's fan-out now.

For cron-style deployments and re-runs, with the scheduled run's guarantees (the same claims in
the store). Without `--week` it delivers the week that is due now in each workspace (the current
week once its slot has passed, breaks applied), exactly what the scheduled job would do: cron
can run it every few minutes without posting early. `--week` delivers that week right away,
unless it is a school break.
"""

from __future__ import annotations

import argparse

from bot.cli.errors import CliError, chosen_team
from bot.cli.registry import Commands
from bot.settings import Settings
from bot.slack.client import slack_client
from bot.views import NUDGE_MESSAGES
from progression.calendar import CalendarError, due_week, next_slot, slot_in_week, week_start
from progression.load import load_progression
from progression.wording import when
from scheduler.clock import utc_now
from scheduler.fanout import DEFAULT_CONCURRENCY, FanoutContext, FanoutReport, run_fanout
from scheduler.lease import FanoutRunning
from scheduler.limits import without_retries, workspace_limits
from scheduler.plan import workspace_slot
from store import BACKGROUND_WRITE_WAIT_SECONDS, Store

# Exit status when channels were left to retry or refused: cron wrappers notice.
INCOMPLETE = 1


def register(commands: Commands) -> None:
    parser = commands.add(
        "nudge",
        run_nudge,
        help="run one week's nudge fan-out now (cron, re-runs)",
        description=__doc__,
        verbatim=True,
    )
    parser.add_argument("--week", type=_week, help="ISO week like 2026-W48 (default: due now)")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what each channel would get, post nothing"
    )
    parser.add_argument("--team", help="one workspace's team id (default: every workspace)")
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, help="channels posted at once"
    )


def run_nudge(args: argparse.Namespace, settings: Settings) -> int:
    """Run the fan-out for each workspace and print what each channel got."""
    team = chosen_team(args.team)
    if not args.dry_run and (
        settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value()
    ):
        raise CliError("SLACK_BOT_TOKEN is not set: the nudges cannot be posted (try --dry-run)")
    # A database that does not exist means cron runs this in the wrong folder or with the wrong
    # PROGRESSION_DB: creating an empty one would report "nothing to do" and post nothing.
    store = Store(settings.progression_db, create=False, write_wait=BACKGROUND_WRITE_WAIT_SECONDS)
    progression = load_progression(settings.progression_file)
    fanout = FanoutContext(
        store,
        progression,
        without_retries(slack_client(settings)),
        NUDGE_MESSAGES,
        limits=workspace_limits(settings.progression_posts_per_minute),
        concurrency=args.concurrency,
    )
    teams = [team] if team is not None else store.teams()
    if not teams:
        print("No workspace has subscribed channels yet.")
        return 0
    status = 0
    for team_id in teams:
        now = utc_now()
        slot = workspace_slot(store, team_id, settings.progression_tz)
        breaks = store.breaks(team_id)
        week = args.week or due_week(now, slot, breaks)
        if week is None:
            try:
                _, at = next_slot(now, slot, breaks)
            except CalendarError as error:
                print(f"{team_id}: nothing due, and {error}")
                continue
            print(f"{team_id}: nothing due yet; the next nudge goes out {when(at)}")
            continue
        if slot_in_week(week, slot, breaks) is None:
            print(f"{team_id} {week}: a school break, nothing posted")
            continue
        try:
            report = run_fanout(fanout, team_id, week, now, dry_run=args.dry_run)
        except FanoutRunning as running:
            print(
                f"{team_id} {week}: {running}, nothing posted by this one; "
                "run it again once that one is done"
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
