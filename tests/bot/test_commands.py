"""`/progression` in the test's process: what is answered in the response, what after the ack
(once Slack has answered), and what is refused (bot/listeners/commands.py)."""

from __future__ import annotations

import itertools
import logging
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_bolt import BoltContext

from progression.model import Progression
from tests.bot.answers import INTERIM
from tests.bot.in_process import FORM, InProcess, Reply, app_in_process
from tests.slack.signing import slash_command_body
from tests.slack.web_api import SlackWebAPI

_ids = itertools.count(1)


def fresh(prefix: str) -> str:
    """An id no other test uses."""
    return f"{prefix}{next(_ids):04d}"


def admin(api: SlackWebAPI) -> str:
    user = fresh("UADM")
    api.add_user(user, is_admin=True)
    return user


@pytest.fixture
def managed(
    api: SlackWebAPI, tmp_path: Path, bundled_progression: Progression, clean_environment: None
) -> Iterator[InProcess]:
    """An app whose settings name a manager, `UMGR1`."""
    db = tmp_path / "managed.db"
    with app_in_process(api, db, bundled_progression, PROGRESSION_MANAGERS="UMGR1") as app:
        yield app


def final(app: InProcess, name: str, reply: Reply) -> str:
    """What the person ends up reading: the interim reply's follow-up through response_url."""
    assert reply.status == 200 and reply.json()["text"].startswith(INTERIM), reply.body
    [call] = app.api.wait_for_response_url(name, timeout=10)
    assert call.params["response_type"] == "ephemeral"
    return str(call.params)


# --- in the response --------------------------------------------------------------------


def test_a_lookup_is_answered_in_the_response_and_kept(in_process: InProcess) -> None:
    first = in_process.command("phase 3")
    assert first.status == 200 and "Engagement in Independent Learning" in first.said
    again = in_process.command("phase 3")
    assert again.body == first.body  # the reply kept for the text
    assert not in_process.api.calls()


def test_a_known_manager_is_answered_in_the_response(managed: InProcess) -> None:
    reply = managed.command("schedule", user_id="UMGR1").json()
    assert reply["response_type"] == "ephemeral" and "Monday at 08:00" in reply["text"]
    assert not managed.api.calls()


def test_someone_slack_said_is_no_manager_is_refused_in_the_response(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    user = fresh("UPLAIN")
    api.add_user(user)
    final(
        in_process,
        "first",
        in_process.command("skips", user_id=user, response_url=api.response_url("first")),
    )
    api.clear()
    refused = in_process.command("subscribe teacher", user_id=user)
    assert "Only managers can do that." in refused.said
    in_process.settle()
    assert not api.calls()


def test_an_error_is_answered_in_the_response(in_process: InProcess) -> None:
    said = in_process.command("phase 9").said
    assert "Phase 9 does not exist" in said and not in_process.api.calls()


def test_a_user_named_in_progression_managers_may_manage(
    api: SlackWebAPI, tmp_path: Path, bundled_progression: Progression, clean_environment: None
) -> None:
    # Moved from test_manage_http.py, where it started an app process of its own.
    team = fresh("TM")
    with app_in_process(
        api, tmp_path / "p.db", bundled_progression, PROGRESSION_MANAGERS="U42"
    ) as app:
        named = app.command(
            "subscribe leaders",
            team_id=team,
            user_id="U42",
            channel_id="C42",
            response_url=api.response_url("named"),
        )
        assert "now gets one *Leader* move" in final(app, "named", named)
        other = app.command(
            "subscribe leaders",
            team_id=team,
            user_id="U43",
            channel_id="C43",
            response_url=api.response_url("other"),
        )
        assert "Only managers" in final(app, "other", other)


# --- after the ack ----------------------------------------------------------------------


def test_a_known_manager_subscribing_hears_it_is_under_way_then_the_answer(
    managed: InProcess, api: SlackWebAPI
) -> None:
    api.faults.hold()
    reply = managed.command(
        "subscribe teacher", user_id="UMGR1", channel_id="CSUB1", response_url=api.response_url("s")
    )
    assert "Subscribing <#CSUB1>" in reply.json()["text"]
    api.wait_for("chat.postMessage")  # the announcement, asked after the answer
    assert not api.calls("response_url")
    api.faults.release()
    assert "now gets one *Teacher* move a week" in final(managed, "s", reply)
    assert managed.store.subscription("T0001", "CSUB1") is not None


def test_a_manager_not_known_yet_is_asked_of_slack_after_the_answer(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    user = admin(api)
    api.faults.hold()
    reply = in_process.command("skips", user_id=user, response_url=api.response_url("k"))
    assert "Checking with Slack that you can manage" in reply.json()["text"]
    api.wait_for("users.info")
    api.faults.release()
    assert "school break" in final(in_process, "k", reply)
    # Known now: answered in the response.
    api.clear()
    assert "school break" in in_process.command("skips", user_id=user).said
    assert not api.calls()


def test_a_command_sent_again_acts_once(in_process: InProcess, api: SlackWebAPI) -> None:
    user = admin(api)
    fields = slash_command_body(
        "subscribe teacher", user_id=user, channel_id="CREP1", response_url=api.response_url("r")
    )
    signed_at = time.time()
    in_process.clock = lambda: signed_at  # the same bytes, the same signature
    request = in_process.signed(urllib.parse.urlencode(fields), FORM)
    again = in_process.signed(urllib.parse.urlencode(fields), FORM)
    final(in_process, "r", in_process.dispatch(request))
    replayed = in_process.dispatch(again)
    assert replayed.status == 200 and replayed.body == ""
    in_process.settle()
    assert len(api.calls("chat.postMessage")) == 1 and len(api.calls("response_url")) == 1


def test_without_a_response_url_a_command_that_needs_slack_says_so(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    said = in_process.command("skips", user_id=admin(api), response_url="").said
    assert "Slack sent no way to answer that later." in said
    in_process.settle()
    assert not api.calls()


def test_when_too_much_waits_on_slack_the_person_hears_it_at_once_and_lookups_go_on(
    in_process: InProcess, api: SlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    taken = 0
    while in_process.after_ack.hand_over(BoltContext(), "a test's place", object()):
        taken += 1
    assert taken == 512
    reply = in_process.command("skips", user_id=admin(api), response_url=api.response_url("b"))
    assert reply.json()["text"].startswith(":warning: Too much is waiting on Slack right now")
    assert "Too much work waiting on Slack; refused: /progression skips" in caplog.text
    # A lookup takes no place: answered all the same.
    assert "Engagement in Independent Learning" in in_process.command("phase 3").said
    in_process.settle()
    assert not api.calls()


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Bolt-Lazy-Only": "1"},
        {"X-Slack-Bolt-Lazy-Only": "1", "X-Slack-Bolt-Lazy-Function-Name": "answer_later"},
    ],
)
def test_a_request_that_skips_the_ack_function_acts_on_nothing(
    in_process: InProcess, api: SlackWebAPI, headers: dict[str, str]
) -> None:
    # Bolt runs a listener's lazy functions alone when asked to by these headers (for AWS
    # Lambda), and no signature covers headers: nothing was decided, so nothing is done.
    user = admin(api)
    fields = slash_command_body(
        "subscribe teacher", user_id=user, channel_id="CLAZY", response_url=api.response_url("z")
    )
    in_process.raw(urllib.parse.urlencode(fields), FORM, **headers)
    in_process.settle()
    assert not api.calls() and in_process.store.subscription("T0001", "CLAZY") is None


def test_a_failure_after_the_ack_is_logged_once_with_its_traceback_and_told(
    in_process: InProcess, api: SlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.faults.fail("users.info", "fatal_error")
    reply = in_process.command("skips", user_id=fresh("UFAIL"), response_url=api.response_url("f"))
    assert "Slack did not answer as expected" in final(in_process, "f", reply)
    in_process.settle()
    [failed] = [r for r in caplog.records if "failed after the request was answered" in r.message]
    assert failed.levelno == logging.ERROR and failed.exc_info is not None
    assert "fatal_error" in caplog.text
    assert "Failed to run an internal function" not in caplog.text  # Bolt's line, untraced


# --- refusals (issue 16, section 7) -------------------------------------------------------------


def test_a_teacher_subscribing_is_told_whom_to_ask_and_never_that_it_is_under_way(
    managed: InProcess, api: SlackWebAPI
) -> None:
    team, seen = fresh("TREF"), admin(api)
    # A workspace admin the app has met here, besides the manager the settings name.
    met = managed.command("skips", team_id=team, user_id=seen, response_url=api.response_url("m"))
    final(managed, "m", met)
    teacher = fresh("UTEACH")
    api.add_user(teacher)
    reply = managed.command(
        "subscribe teacher",
        team_id=team,
        user_id=teacher,
        channel_id="CGENERAL",
        response_url=api.response_url("t"),
    )
    assert "Subscribing" not in reply.said  # nothing is under way before permission is known
    assert "Checking with Slack that you can manage" in reply.said
    [answer] = api.wait_for_response_url("t", timeout=10)
    said = answer.params["blocks"][0]["text"]["text"]
    assert "Only managers can do that." in said
    assert "<@UMGR1>" in said and f"<@{seen}>" in said  # by name: Slack shows the names
    assert said.count("can do that") == 1 and "PROGRESSION_MANAGERS" not in said
    managed.settle()
    assert not api.calls("chat.postMessage")
    assert managed.store.subscription(team, "CGENERAL") is None


def test_without_a_manager_known_by_name_the_refusal_says_whom_to_ask(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    teacher = fresh("UTEACH")
    api.add_user(teacher)
    reply = in_process.command("skips", user_id=teacher, response_url=api.response_url("n"))
    [answer] = api.wait_for_response_url("n", timeout=10)
    said = answer.params["blocks"][0]["text"]["text"]
    assert "Only managers can do that." in said and "admins and owners" in said
    assert said.count("can do that") == 1 and "PROGRESSION_MANAGERS" not in said
    assert reply.status == 200
