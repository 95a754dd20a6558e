"""Managers' commands and `next` through the running app, signed as Slack signs them."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot import views
from progression.calendar import week_of
from progression.load import load_progression
from progression.lookup import find_move
from store import Store
from tests.bot.answers import final_answer
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, start_http_app, stop_app
from tests.slack.signing import TEAM_ID, SlackSender
from tests.slack.web_api import Call, SlackWebAPI

ADMIN = "UADMIN1"
NOW = datetime(2026, 10, 1, tzinfo=UTC)
_teams = itertools.count(1)


@pytest.fixture
def team() -> str:
    """A workspace of its own for each test: the session's app shares one database."""
    return f"TM{next(_teams):04d}"


@pytest.fixture
def admin(api: SlackWebAPI) -> str:
    api.add_user(ADMIN, is_admin=True)
    return ADMIN


def _texts(node: Any) -> str:
    if isinstance(node, dict):
        own = node["text"] if isinstance(node.get("text"), str) else ""
        return own + "\n" + "\n".join(_texts(v) for k, v in node.items() if k != "value")
    if isinstance(node, list):
        return "\n".join(_texts(item) for item in node)
    return ""


def posts(api: SlackWebAPI, app: RunningApp) -> list[Call]:
    """chat.postMessage calls, but for the channels other test files subscribe in the session's
    database for T0001 (tests/bot/nudges.py): the session's runner catches the week up there a
    moment after each, whenever that falls. These tests post in workspaces of their own."""
    store = Store(app.db)
    try:
        others = {s.channel_id for s in store.subscriptions(TEAM_ID)}
    finally:
        store.close()
    return [c for c in api.calls("chat.postMessage") if c.params["channel"] not in others]


def ask(slack: SlackSender, api: SlackWebAPI, text: str, team: str, user: str, channel: str) -> str:
    """The answer the person ends up with (after the interim reply, when Slack is asked)."""
    body = final_answer(slack, api, text, team_id=team, user_id=user, channel_id=channel)
    assert body["response_type"] == "ephemeral"
    return _texts(body["blocks"])


def test_a_manager_subscribes_a_channel(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str, http_app: RunningApp
) -> None:
    said = ask(slack, api, "subscribe teachers phase 2,3", team, admin, "CSUB1")
    assert "now gets one *Teacher* move a week (phases 2, 3)" in said
    assert "Monday at 08:00 (UTC)" in said and "The first nudge goes out on *Monday" in said
    [announcement] = posts(api, http_app)
    assert announcement.params["channel"] == "CSUB1"
    assert "one Teacher move" in announcement.params["text"]
    listed = ask(slack, api, "subscriptions", team, admin, "CSUB1")
    assert "<#CSUB1>" in listed and "phases 2, 3" in listed and "*2.7*" in listed
    subscription = Store(http_app.db).subscription(team, "CSUB1")
    assert subscription is not None and subscription.phases == (2, 3)


def test_anyone_else_is_told_who_can_and_nothing_changes(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str, http_app: RunningApp
) -> None:
    api.add_user("UPLAIN1")
    said = ask(slack, api, "subscribe teacher", team, "UPLAIN1", "CSUB2")
    assert "Only managers can do that." in said and "admins and owners" in said
    assert not posts(api, http_app)
    assert "CSUB2" not in ask(slack, api, "subscriptions", team, admin, "CSUB2")


def test_someone_slack_said_is_no_manager_is_refused_at_once(
    slack: SlackSender, api: SlackWebAPI, team: str, http_app: RunningApp
) -> None:
    api.add_user("UPLAIN2")
    assert "Only managers" in ask(slack, api, "subscriptions", team, "UPLAIN2", "CSUB3")
    # Slack has answered for this person: no "Subscribing…" while it is asked again.
    reply = slack.command("subscribe teacher", team_id=team, user_id="UPLAIN2", channel_id="CSUB3")
    assert "Only managers can do that." in _texts(reply.json()["blocks"])
    assert not posts(api, http_app)


def _socket_inodes(pid: int | str) -> set[str]:
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            found.add(target[len("socket:[") : -1])
    return found


def _tcp(port: int) -> list[tuple[int, int, str]]:
    """(local port, remote port, inode) of the TCP sockets on 127.0.0.1 that involve `port`."""
    found = []
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
        if port in (local, remote):
            found.append((local, remote, fields[9]))
    return found


def _serving_worker(app: RunningApp, opened: set[int]) -> tuple[int, int]:
    """The connection this process opened to the app since `opened` (its local ports), and the
    pid of the web worker that holds the other end: gunicorn keeps a connection alive in the
    worker that accepted it."""
    port = int(app.url.rsplit(":", 1)[1])
    mine = _socket_inodes("self")
    [client] = {
        local for local, remote, inode in _tcp(port) if remote == port and inode in mine
    } - opened
    [inode] = [inode for local, remote, inode in _tcp(port) if (local, remote) == (port, client)]
    for pid in os.listdir("/proc"):
        if pid.isdigit() and int(pid) != os.getpid():
            try:
                if inode in _socket_inodes(pid):
                    return client, int(pid)
            except OSError:
                continue  # not ours to read, or gone
    raise AssertionError(f"no process holds the app's end of port {client}")


def senders_to_each_worker(app: RunningApp, workers: int) -> list[SlackSender]:
    """One kept-alive connection to each web worker, found by opening connections until every
    worker has accepted one."""
    senders: dict[int, SlackSender] = {}
    opened: set[int] = set()
    for _ in range(40):
        sender = SlackSender(app.url + "/slack/events", SIGNING_SECRET)
        assert sender.command("help").status == 200  # a lookup: asks Slack nothing
        client, pid = _serving_worker(app, opened)
        opened.add(client)
        if pid in senders:
            sender.close()
            continue
        senders[pid] = sender
        if len(senders) == workers:
            return list(senders.values())
    raise AssertionError(f"40 connections reached only {len(senders)} of {workers} workers")


def test_an_admins_status_is_asked_once_whichever_worker_answers(
    api: SlackWebAPI, tmp_path: Path, team: str, admin: str
) -> None:
    app = start_http_app(app_env(api, tmp_path / "p.db"), tmp_path, workers=2)
    senders = senders_to_each_worker(app, 2)
    try:
        for sender in senders:  # the same admin, a moment later, on the other worker
            said = ask(sender, api, "subscriptions", team, admin, "CADM1")
            assert "No channel is subscribed yet" in said
        assert [c.params["user"] for c in api.calls("users.info")] == [admin]
    finally:
        for sender in senders:
            sender.close()
        stop_app(app)


@pytest.mark.parametrize(
    ("error", "channel"), [("channel_not_found", "GPRIV1"), ("not_in_channel", "CNOTIN1")]
)
def test_a_channel_the_app_is_not_in_gets_invite_instructions(
    slack: SlackSender,
    api: SlackWebAPI,
    team: str,
    admin: str,
    http_app: RunningApp,
    error: str,
    channel: str,
) -> None:
    api.faults.fail("chat.postMessage", error, channel=channel)
    said = ask(slack, api, "subscribe student", team, admin, channel)
    assert "/invite @progression" in said and "subscribe again" in said
    assert Store(http_app.db).subscription(team, channel) is None
    assert channel not in ask(slack, api, "subscriptions", team, admin, channel)


def test_subscriptions_show_inactive_and_unconfirmed_and_resubscribing_reactivates(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str, http_app: RunningApp
) -> None:
    ask(slack, api, "subscribe teacher", team, admin, "CSTA1")
    ask(slack, api, "subscribe systems", team, admin, "CSTA2")
    store = Store(http_app.db)
    store.mark_inactive(team, "CSTA1", "is_archived", NOW)
    claimed = store.claim_delivery(
        team, "CSTA2", "2026-W40", role="systems", ref="1.1", round=1, owner="x", now=NOW
    )
    assert claimed
    store.mark_unconfirmed(team, "CSTA2", "2026-W40")
    listed = ask(slack, api, "subscriptions", team, admin, "CSTA1")
    assert "2 subscribed channels" in listed
    assert "inactive: the channel is archived" in listed and "/invite @progression" in listed
    assert (
        "the nudge for the week of Monday 28 September 2026 may or may not have reached Slack"
        in listed
    )
    said = ask(slack, api, "subscribe leader phase 4", team, admin, "CSTA1")
    assert "now gets one *Leader* move a week (phase 4)" in said
    again = store.subscription(team, "CSTA1")
    assert again is not None and again.active and again.role == "leader"
    assert again.phases == (4,)
    assert "inactive:" not in ask(slack, api, "subscriptions", team, admin, "CSTA1")


def test_unsubscribe_stops_and_keeps_the_history(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str
) -> None:
    ask(slack, api, "subscribe teacher", team, admin, "CUNS1")
    said = ask(slack, api, "unsubscribe", team, admin, "CUNS1")
    assert "no longer gets weekly *Teacher* moves" in said and "kept" in said
    assert "not subscribed" in ask(slack, api, "unsubscribe", team, admin, "CUNS1")
    assert "No channel is subscribed yet" in ask(slack, api, "subscriptions", team, admin, "CUNS1")


def test_the_schedule_is_shown_and_changed_with_its_next_date(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str
) -> None:
    assert "every *Monday at 08:00 (UTC)*" in ask(slack, api, "schedule", team, admin, "CSCH1")
    said = ask(slack, api, "schedule tuesday 07:30 America/Chicago", team, admin, "CSCH1")
    assert "now go out every *Tuesday at 07:30 (America/Chicago)*" in said
    assert "The next one: *Tuesday" in said and "at 07:30 (America/Chicago)" in said
    assert "Tuesday at 07:30" in ask(slack, api, "schedule", team, admin, "CSCH1")
    kept = ask(slack, api, "schedule wed 9am", team, admin, "CSCH1")
    assert "every *Wednesday at 09:00 (America/Chicago)*" in kept


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("schedule someday 07:30", "is not a day of the week"),
        ("schedule monday 7:99", "is not a time"),
        ("schedule monday 07:30 Mars/Olympus", "is not a timezone"),
    ],
)
def test_a_bad_schedule_gets_a_clear_reply(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str, text: str, says: str
) -> None:
    assert says in ask(slack, api, text, team, admin, "CSCH2")
    assert "Monday at 08:00 (UTC)" in ask(slack, api, "schedule", team, admin, "CSCH2")


def test_school_breaks_are_recorded_listed_and_removed(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str
) -> None:
    said = ask(slack, api, "skip 2030-12-23 2031-01-03", team, admin, "CBRK1")
    assert "Recorded the break Monday 23 December 2030 to Friday 3 January 2031" in said
    assert "No nudge in the week of Monday 23 December 2030" in said
    assert "No nudge in the week of Monday 30 December 2030" in said
    holiday = ask(slack, api, "skip 2030-11-25", team, admin, "CBRK1")
    assert (
        "Monday 25 November 2030 is in the break, so the nudge goes out on "
        "Tuesday 26 November 2030 at 08:00 (UTC)"
    ) in holiday
    listed = ask(slack, api, "skips", team, admin, "CBRK1")
    assert "2 school breaks" in listed
    assert "Monday 23 December 2030 to Friday 3 January 2031" in listed
    assert "Removed the break" in ask(slack, api, "unskip 2030-12-23", team, admin, "CBRK1")
    assert "nothing removed" in ask(slack, api, "unskip 2030-12-23", team, admin, "CBRK1")
    assert "*1 school break*" in ask(slack, api, "skips", team, admin, "CBRK1")


def test_preview_shows_exactly_the_next_nudge_and_when(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str
) -> None:
    ask(slack, api, "subscribe teacher", team, admin, "CPRV1")
    reply = slack.command("preview", team_id=team, user_id=admin, channel_id="CPRV1").json()
    progression = load_progression()
    move = find_move(progression, 1, 7)
    assert move is not None
    expected = views.nudge_message(progression, move)
    assert reply["blocks"][1:] == expected["blocks"]
    assert "Preview: this is what this channel gets on Monday" in _texts(reply["blocks"][0])
    assert "not a role channel" in ask(slack, api, "preview", team, admin, "CPRV2")


def test_next_shows_this_weeks_move_and_the_one_after(
    slack: SlackSender, api: SlackWebAPI, team: str, admin: str
) -> None:
    ask(slack, api, "subscribe leader phase 4", team, admin, "CNXT1")
    said = ask(slack, api, "next", team, "UANYONE", "CNXT1")
    assert "*4.4*" in said and "*4.5*" in said
    elsewhere = ask(slack, api, "next", team, "UANYONE", "CNXT2")
    assert "not a role channel" in elsewhere and "`/progression teacher`" in elsewhere


@pytest.fixture
def nudge_env(api: SlackWebAPI, http_app: RunningApp) -> Iterator[dict[str, str]]:
    yield app_env(api, http_app.db)


def test_a_channel_subscribed_in_slack_gets_its_first_move_from_nudge(
    slack: SlackSender,
    api: SlackWebAPI,
    team: str,
    admin: str,
    http_app: RunningApp,
    nudge_env: dict[str, str],
) -> None:
    ask(slack, api, "subscribe teacher", team, admin, "CE2E1")
    subscription = Store(http_app.db).subscription(team, "CE2E1")
    assert subscription is not None
    api.clear()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.cli",
            "nudge",
            "--week",
            subscription.first_week,
            "--team",
            team,
        ],
        env=nudge_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{team} {subscription.first_week}: 1 posted" in run.stdout
    [posted] = posts(api, http_app)
    assert posted.params["channel"] == "CE2E1"
    assert "Create and post an agenda for students" not in posted.params["text"]
    assert "Ensure everything posted in your LMS has purpose" in posted.params["text"]
    said = ask(slack, api, "next", team, admin, "CE2E1")
    # Subscribed before this week's slot, the channel started this week; after it, next week
    # (`nudge` posted that week ahead), so this week has no move and 1.8 comes after 1.7.
    if subscription.first_week == week_of(datetime.now(UTC), "UTC"):
        assert "*This week:* *1.7*" in said and "*1.8*" in said
    else:
        assert "*This week:*" not in said and "*1.7*" not in said and "*1.8*" in said


@pytest.mark.parametrize("text", ["subscriptions", "skips", "schedule", "preview", "unsubscribe"])
def test_managers_rows_are_for_managers_only(
    slack: SlackSender, api: SlackWebAPI, team: str, text: str
) -> None:
    api.add_user("UPLAIN2")
    said = ask(slack, api, text, team, "UPLAIN2", "CMGR1")
    assert "Only managers can do that." in said and "admins and owners" in said
