"""Check-offs through Slack's real interfaces: signed Events API requests to the running app,
seen through `/progression progress`, the published App Home and `progression-bot export`."""

from __future__ import annotations

import csv
import io
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from store import CELEBRATION, Store
from tests.bot.answers import final_answer
from tests.bot.nudges import Nudge, add_nudge
from tests.conftest import SIGNING_SECRET, RunningApp, app_env, start_http_app, stop_app
from tests.slack.signing import (
    TEAM_ID,
    SlackSender,
    app_home_opened_event,
    reaction_event,
)
from tests.slack.web_api import BOT_USER_ID, SlackWebAPI

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
T_EVENT = 1_764_000_000.0  # Slack's event times in the cases that set them
_events = itertools.count(1)


@dataclass
class CheckoffApp:
    app: RunningApp
    db: Path
    env: dict[str, str]
    workdir: Path


def export_rows(setup: CheckoffApp, *args: str) -> list[dict[str, str]]:
    """`progression-bot export` as an operator runs it."""
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "export", *args],
        cwd=setup.workdir,
        env=setup.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return list(csv.DictReader(io.StringIO(result.stdout)))


@pytest.fixture(scope="module")
def setup(
    slack_api: SlackWebAPI, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[CheckoffApp]:
    workdir = tmp_path_factory.mktemp("checkoffs")
    env = app_env(slack_api, workdir / "p.db")
    app = start_http_app(env, workdir)
    yield CheckoffApp(app, workdir / "p.db", env, workdir)
    stop_app(app)


@pytest.fixture
def sender(setup: CheckoffApp, api: SlackWebAPI) -> Iterator[SlackSender]:
    with SlackSender(setup.app.url + "/slack/events", SIGNING_SECRET) as sender:
        yield sender


def progress_text(
    sender: SlackSender, channel: str, text: str = "progress", user: str = "U1"
) -> str:
    answer = sender.command(text, channel_id=channel, user_id=user)
    assert answer.status == 200
    return str(answer.json())


def home_of(sender: SlackSender, api: SlackWebAPI, user: str) -> str:
    before = len(api.calls("views.publish"))
    assert sender.event(app_home_opened_event(user)).status == 200
    published = api.wait_for("views.publish", before + 1)[-1]
    assert published.params["user_id"] == user
    return json.dumps(published.params["view"], ensure_ascii=False)


def buttons_of(home: str) -> dict[str, str]:
    """The App Home's buttons: channel -> action id."""
    blocks = json.loads(home)["blocks"]
    accessories = [b["accessory"] for b in blocks if "accessory" in b]
    return {a["value"].split("|")[0]: a["action_id"] for a in accessories}


def bot_taken_back(setup: CheckoffApp, api: SlackWebAPI, nudge: Nudge) -> None:
    """A user never seen is looked up in the background; wait until a bot's check-off is gone."""
    api.wait_for("users.info", 1)
    store = Store(setup.db)
    try:
        deadline = time.monotonic() + 5
        while "UBOTX" in store.checked_by(TEAM_ID, nudge.channel, nudge.ref):
            assert time.monotonic() < deadline, "the bot's check-off was not taken back"
            time.sleep(0.01)  # polling another process's database, not a schedule
    finally:
        store.close()


# --- the cases --------------------------------------------------------------------------

Step = dict[str, Any]


def add(user: str = "U1", emoji: str = "white_check_mark", **more: Any) -> Step:
    return {"kind": "reaction_added", "user": user, "reaction": emoji, **more}


def remove(user: str = "U1", emoji: str = "white_check_mark", **more: Any) -> Step:
    return {"kind": "reaction_removed", "user": user, "reaction": emoji, **more}


CASES = {
    "react": ([add()], ["U1"]),
    "react again": ([add(), add()], ["U1"]),
    "react with two check emoji": ([add(), add(emoji="heavy_check_mark")], ["U1"]),
    "skin tone": ([add(emoji="white_check_mark::skin-tone-4")], ["U1"]),
    "retried delivery": ([add(event_id="E1"), add(event_id="E1", retry=1)], ["U1"]),
    "retry of an add after its removal": (
        [add(event_id="E1"), remove(event_id="E2"), add(event_id="E1", retry=1)],
        [],
    ),
    "removed": ([add(), remove()], []),
    # Slack's time decides, not arrival: the add's first delivery failed, and its retry comes
    # after the removal that followed it.
    "removal before a retried, earlier add": (
        [remove(event_id="E2", at=T_EVENT + 2.5), add(event_id="E1", at=T_EVENT + 1.5, retry=1)],
        [],
    ),
    "add, remove and add again, arriving backwards": (
        [add(at=T_EVENT + 3), remove(at=T_EVENT + 2), add(at=T_EVENT + 1)],
        ["U1"],
    ),
    "removed, another check emoji still on": (
        [add(), add(emoji="ballot_box_with_check"), remove()],
        ["U1"],
    ),
    "another emoji": ([add(emoji="thumbsup")], []),
    "another message": ([add(ts="1699999999.000001")], []),
    "on a file": ([add(item_type="file")], []),
    "our bot": ([add(user=BOT_USER_ID)], []),
    "another bot": ([add(user="UBOTX")], []),
    "the celebration message": ([add(on="celebration")], []),
    "two people": ([add(), add(user="U2")], ["U1", "U2"]),
}


def send(sender: SlackSender, nudge: Nudge, step: Step, celebration_ts: str) -> None:
    ts = celebration_ts if step.get("on") == "celebration" else step.get("ts", nudge.ts)
    event = reaction_event(
        step["kind"],
        user=step["user"],
        reaction=step["reaction"],
        channel=nudge.channel,
        ts=ts,
        item_type=step.get("item_type", "message"),
        event_ts=f"{step['at']:.6f}" if "at" in step else None,
    )
    # Steps without an event id are distinct events, as Slack sends them.
    event_id = f"{nudge.channel}-{step.get('event_id') or next(_events)}"
    event_time = int(step["at"]) if "at" in step else None
    answer = sender.event(
        event, event_id=event_id, retry_num=step.get("retry"), event_time=event_time
    )
    assert answer.status == 200


@pytest.mark.parametrize("case", list(CASES))
def test_reactions_count_once_seen_everywhere(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI, case: str
) -> None:
    steps, expected = CASES[case]
    api.add_user("UBOTX", is_bot=True)
    nudge = add_nudge(setup.db)
    api.add_member(nudge.channel, "U1")
    # The celebration is in the nudge's channel, a week later.
    celebration = add_nudge(
        setup.db, ref=CELEBRATION, week="2026-W49", channel=nudge.channel, subscribe=False
    )
    for step in steps:
        send(sender, nudge, step, celebration.ts)
    if any(step["user"] == "UBOTX" for step in steps):
        bot_taken_back(setup, api, nudge)

    shown = progress_text(sender, nudge.channel)
    assert (f"✅ {len(expected)} done" if expected else "nobody yet") in shown
    lookup = progress_text(sender, nudge.channel, text=nudge.ref)
    for user in expected:
        assert f"<@{user}>" in lookup
    home = home_of(sender, api, "U1")
    buttons = buttons_of(home)
    if "U1" in expected:  # checked off by a reaction: undone by removing it, not on Home
        assert nudge.channel not in buttons
        assert f"<#{nudge.channel}>" in home and "with a reaction" in home
    else:
        assert buttons[nudge.channel] == "home_mark_done"
    rows = [r for r in export_rows(setup) if r["channel"] == nudge.channel]
    assert sorted(r["user"] for r in rows) == sorted(expected)
    for row in rows:
        assert row["team"] == TEAM_ID and row["role"] == "teacher" and row["move"] == nudge.ref
        assert datetime.fromisoformat(row["checked_at"]).tzinfo is not None


def test_one_check_off_is_one_check_off_in_progress_all(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    api.add_user("UADMIN5", is_admin=True)
    nudge = add_nudge(setup.db, ref="4.8")
    send(sender, nudge, add(user="U5"), nudge.ts)
    body = final_answer(sender, api, "progress all", user_id="UADMIN5", channel_id=nudge.channel)
    lines = "\n".join(b["text"]["text"] for b in body["blocks"] if b["type"] == "section")
    [line] = [line for line in lines.splitlines() if f"<#{nudge.channel}>" in line]
    assert line.endswith(" · P4 1/3 · 1 check-off"), line


def test_many_threads_reacting_for_one_person_leave_one_record(
    setup: CheckoffApp, sender: SlackSender
) -> None:
    nudge = add_nudge(setup.db, ref="2.8")
    barrier = threading.Barrier(12)
    statuses: list[int] = []

    def react(n: int) -> None:
        barrier.wait()
        for i in range(10):
            emoji = ("white_check_mark", "heavy_check_mark")[i % 2]
            event = reaction_event(
                "reaction_added", user="U7", reaction=emoji, channel=nudge.channel, ts=nudge.ts
            )
            # Every other one is a retry of an event another thread is also sending.
            event_id = f"{nudge.channel}-{i if i % 2 else f'{n}-{i}'}"
            statuses.append(
                sender.event(event, event_id=event_id, retry_num=1 if i % 2 else None).status
            )

    threads = [threading.Thread(target=react, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 120
    store = Store(setup.db)
    try:
        assert store.checked_by(TEAM_ID, nudge.channel, "2.8") == ["U7"]
    finally:
        store.close()
    assert [r["user"] for r in export_rows(setup) if r["channel"] == nudge.channel] == ["U7"]


def _updates_for(api: SlackWebAPI, nudge: Nudge) -> list[str]:
    return [str(c.params) for c in api.calls("chat.update") if c.params["ts"] == nudge.ts]


def test_a_burst_of_reactions_is_one_update_with_the_right_count(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    nudge = add_nudge(setup.db, ref="3.8")
    for n in range(30):
        send(sender, nudge, add(user=f"UB{n:03d}"), "")
    # Wait for the update that carries all 30, then make sure nothing else is on its way.
    for count in itertools.count(1):
        api.wait_for("chat.update", count, timeout=10)
        if any("30 done" in u for u in _updates_for(api, nudge)):
            break
        assert count < 10, _updates_for(api, nudge)
    with pytest.raises(AssertionError):
        api.wait_for("chat.update", len(api.calls("chat.update")) + 1, timeout=2)
    updates = [c for c in api.calls("chat.update") if c.params["ts"] == nudge.ts]
    assert 1 <= len(updates) <= 2
    last = updates[-1].params
    assert last["channel"] == nudge.channel and last["ts"] == nudge.ts
    assert ":white_check_mark: 30 done" in str(last["blocks"])
    assert "3.8" in str(last["blocks"])


def test_updates_never_pass_the_workspace_rate(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    nudges = [add_nudge(setup.db, ref="4.7") for _ in range(40)]
    for nudge in nudges:
        send(sender, nudge, add(user="U9"), "")
    started = time.monotonic()
    # 40 nudges changed at once: at most 10 go at once (the bucket may hold fewer, spent by
    # the tests before), then 40 a minute: one every 1.5 s.
    with pytest.raises(AssertionError):
        api.wait_for("chat.update", 40, timeout=6)
    elapsed = time.monotonic() - started
    ours = [c for c in api.calls("chat.update") if c.params["ts"] in {n.ts for n in nudges}]
    assert 3 <= len(ours) <= 10 + elapsed * 40 / 60 + 1
    assert len(api.calls("chat.update")) <= 50


def test_mark_done_and_undo_from_app_home(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    nudge = add_nudge(setup.db, ref="1.9")
    api.add_member(nudge.channel, "U5")
    view = {"id": "V0001", "type": "home"}
    home = home_of(sender, api, "U5")
    assert f"{nudge.channel}|{nudge.ts}" in home and "Mark done" in home

    answer = sender.action("home_mark_done", f"{nudge.channel}|{nudge.ts}", user_id="U5", view=view)
    assert answer.status == 200
    republished = str(api.wait_for("views.publish", 2)[-1].params["view"])
    assert "you checked it off" in republished and "Undo" in republished
    assert "✅ 1 done" in progress_text(sender, nudge.channel)
    assert [
        r["user"] for r in export_rows(setup, "--team", TEAM_ID) if r["channel"] == nudge.channel
    ] == ["U5"]
    api.wait_for("chat.update", 1, timeout=10)

    assert (
        sender.action("home_undo", f"{nudge.channel}|{nudge.ts}", user_id="U5", view=view).status
        == 200
    )
    republished = str(api.wait_for("views.publish", 3)[-1].params["view"])
    assert "you checked it off" not in republished
    assert "nobody yet" in progress_text(sender, nudge.channel)


def test_mark_done_leaves_the_move_where_it_was_on_app_home(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    first, second = add_nudge(setup.db, ref="2.7"), add_nudge(setup.db, ref="2.8")
    api.add_member(first.channel, "U11")
    api.add_member(second.channel, "U11")
    assert list(buttons_of(home_of(sender, api, "U11"))) == [first.channel, second.channel]
    before = len(api.calls("views.publish"))
    value = f"{first.channel}|{first.ts}"
    assert sender.action("home_mark_done", value, user_id="U11").status == 200
    republished = api.wait_for("views.publish", before + 1)[-1].params["view"]
    assert buttons_of(json.dumps(republished)) == {
        first.channel: "home_undo",
        second.channel: "home_mark_done",
    }
    assert list(buttons_of(json.dumps(republished))) == [first.channel, second.channel]


def checked_by(setup: CheckoffApp, nudge: Nudge) -> list[str]:
    store = Store(setup.db)
    try:
        return store.checked_by(TEAM_ID, nudge.channel, nudge.ref)
    finally:
        store.close()


def test_app_home_shows_and_checks_off_only_the_role_channels_you_are_in(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    mine, private, public = (add_nudge(setup.db, ref=r) for r in ("2.7", "2.8", "2.9"))
    api.add_channel(private.channel, is_private=True, is_member=True)
    api.add_member(mine.channel, "U6", "U7")
    api.add_member(private.channel, "U7")  # a private role channel U6 is not in
    api.add_member(public.channel, "U7")  # a public one U6 is not in either

    home = home_of(sender, api, "U6")
    assert buttons_of(home) == {mine.channel: "home_mark_done"}
    assert private.channel not in home and public.channel not in home
    assert set(buttons_of(home_of(sender, api, "U7"))) == {
        mine.channel,
        private.channel,
        public.channel,
    }

    # A Mark done for a channel U6 is not in (a tampered button) is refused.
    for other in (private, public):
        value = f"{other.channel}|{other.ts}"
        assert sender.action("home_mark_done", value, user_id="U6").status == 200
    assert sender.action("home_mark_done", f"{mine.channel}|{mine.ts}", user_id="U6").status == 200
    api.wait_for("views.publish", 5)
    assert checked_by(setup, mine) == ["U6"]
    assert checked_by(setup, private) == checked_by(setup, public) == []
    assert "nobody yet" in progress_text(sender, private.channel)

    # Slack was asked once per person: the answers are kept, not asked at every open.
    asked = [c.params["user"] for c in api.calls("users.conversations")]
    assert sorted(asked) == ["U6", "U7"]
    # Once U6 joins the private channel (and the kept answer is renewed by a new role
    # channel), it shows up.
    api.add_member(private.channel, "U6")
    add_nudge(setup.db, ref="3.7")
    assert private.channel in buttons_of(home_of(sender, api, "U6"))


def test_a_mark_done_on_app_home_outlives_a_reaction_added_and_removed(
    setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI
) -> None:
    nudge = add_nudge(setup.db, ref="4.9")
    api.add_member(nudge.channel, "U8")
    assert nudge.channel in buttons_of(home_of(sender, api, "U8"))
    value = f"{nudge.channel}|{nudge.ts}"
    assert sender.action("home_mark_done", value, user_id="U8").status == 200
    send(sender, nudge, add(user="U8"), "")
    send(sender, nudge, remove(user="U8"), "")
    assert checked_by(setup, nudge) == ["U8"]
    assert buttons_of(home_of(sender, api, "U8")) == {nudge.channel: "home_undo"}

    # The other way round: Undo on Home leaves what a reaction made, until it is removed.
    send(sender, nudge, add(user="U8", emoji="heavy_check_mark"), "")
    assert sender.action("home_undo", value, user_id="U8").status == 200
    assert checked_by(setup, nudge) == ["U8"]
    assert "with a reaction" in home_of(sender, api, "U8")
    send(sender, nudge, remove(user="U8", emoji="heavy_check_mark"), "")
    assert checked_by(setup, nudge) == []


def test_progress_me_and_all(setup: CheckoffApp, sender: SlackSender, api: SlackWebAPI) -> None:
    first, second = add_nudge(setup.db, ref="1.7"), add_nudge(setup.db, ref="2.4", role="leader")
    send(sender, first, add(user="U3"), "")
    send(sender, second, add(user="U3"), "")
    api.add_member(first.channel, "U3")
    api.add_member(second.channel, "U3")
    # Which role channels are theirs is Slack's to say: the answer follows via response_url,
    # counted against the moves of a teacher channel and a leader channel, 12 each.
    mine = str(final_answer(sender, api, "progress me", channel_id=first.channel, user_id="U3"))
    assert "*2 of 24* moves of your role channels (8%)" in mine
    assert f"<#{first.channel}> · *Teacher* · 1 of 12" in mine
    assert f"<#{second.channel}> · *Leader* · 1 of 12" in mine
    api.add_user("UADMIN", is_admin=True)
    # The first ask of a manager needs users.info, so the answer follows via response_url.
    everything = str(
        final_answer(sender, api, "progress all", channel_id=first.channel, user_id="UADMIN")
    )
    assert f"<#{first.channel}> · *Teacher* · P1 1/3" in everything
    assert f"<#{second.channel}> · *Leader* · P1 0/3 · P2 1/3" in everything
    refused = final_answer(sender, api, "progress all", channel_id=first.channel, user_id="U3")
    assert "Only managers" in str(refused)


def test_export_to_a_file_for_one_team(setup: CheckoffApp, sender: SlackSender) -> None:
    nudge = add_nudge(setup.db, ref="4.8")
    send(sender, nudge, add(user="U4"), "")
    out = setup.workdir / "checkoffs.csv"
    assert export_rows(setup, "--out", str(out), "--team", TEAM_ID) == []
    with out.open() as written:
        rows = list(csv.DictReader(written))
    assert list(rows[0]) == ["team", "channel", "campus", "role", "move", "user", "checked_at"]
    assert {
        "team": TEAM_ID,
        "channel": nudge.channel,
        "role": "teacher",
        "move": "4.8",
        "user": "U4",
    }.items() <= next(r for r in rows if r["channel"] == nudge.channel).items()
    assert export_rows(setup, "--team", "T-NOBODY") == []
