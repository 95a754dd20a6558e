"""The buttons in the test's process: "Share in channel", and "Mark done" / "Undo" on App Home
(bot/listeners/actions.py). Each is acked first; what needs Slack follows."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from tests.bot.in_process import FORM, InProcess
from tests.bot.nudges import Nudge, add_nudge, let_in
from tests.slack.signing import TEAM_ID, block_actions_body
from tests.slack.web_api import SlackWebAPI

HOME = {"id": "V0001", "type": "home"}


def _press(app: InProcess, nudge: Nudge, user: str, action: str = "home_mark_done") -> int:
    return app.action(action, f"{nudge.channel}|{nudge.ts}", user_id=user, view=HOME).status


def _checked(app: InProcess, nudge: Nudge) -> list[str]:
    return app.store.checked_by(TEAM_ID, nudge.channel, nudge.ref)


# --- Share in channel ---------------------------------------------------------------------


def test_share_posts_the_answer_then_removes_the_private_reply(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    api.faults.hold()
    url = api.response_url("sh")
    assert in_process.action("share_reply", "3.8", user_id="UH3", response_url=url).status == 200
    [shared] = api.wait_for_response_url("sh")
    assert shared.params["response_type"] == "in_channel"
    assert shared.params["replace_original"] is False and "delete_original" not in shared.params
    assert "<@UH3>" in str(shared.params)
    api.faults.release()
    removal = api.wait_for_response_url("sh", count=2)[1]
    assert removal.params == {"delete_original": True}


def test_a_share_slack_no_longer_accepts_is_told_and_logged_once(
    in_process: InProcess, api: SlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    api.faults.answer_response_url("old", 404, "expired_url")
    url = api.response_url("old")
    assert in_process.action("share_reply", "3.8", user_id="UF3", response_url=url).status == 200
    [told] = api.wait_for("chat.postEphemeral", timeout=10)
    assert told.params["user"] == "UF3" and "`/progression 3.8 share`" in told.params["text"]
    in_process.settle()
    assert caplog.text.count("Share refused") == 1 and "expired_url" in caplog.text
    assert len(api.calls("response_url")) == 1  # nothing shared, nothing removed


def test_a_share_of_text_it_cannot_read_answers_privately(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    url = api.response_url("bad")
    assert in_process.action("share_reply", "phase 9", response_url=url).status == 200
    [answer] = api.wait_for_response_url("bad")
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["replace_original"] is False and "Phase 9" in str(answer.params)


# --- Mark done / Undo on App Home -------------------------------------------------------------


def test_mark_done_is_recorded_in_the_request_and_home_refreshed_after(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    nudge = add_nudge(in_process.db, ref="2.3")
    let_in(in_process.db, api, nudge, "UH2")
    api.faults.hold()
    assert _press(in_process, nudge, "UH2") == 200
    assert _checked(in_process, nudge) == ["UH2"]  # before Slack answered anything
    [published] = api.wait_for("views.publish")
    assert published.params["user_id"] == "UH2" and "you checked it off" in str(published.params)
    api.faults.release()
    assert _press(in_process, nudge, "UH2", "home_undo") == 200
    assert _checked(in_process, nudge) == []
    api.wait_for("views.publish", 2)


def test_a_person_slack_must_be_asked_about_is_marked_after_the_ack(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    nudge = add_nudge(in_process.db, ref="2.4")
    api.add_member(nudge.channel, "UASK1")
    api.faults.hold()
    assert _press(in_process, nudge, "UASK1") == 200
    api.wait_for("users.conversations")
    assert _checked(in_process, nudge) == []  # not yet: which channels is Slack's to say
    api.faults.release()
    api.wait_for("views.publish", timeout=10)
    assert _checked(in_process, nudge) == ["UASK1"]


def test_a_press_for_a_channel_the_person_is_not_in_is_refused(
    in_process: InProcess, api: SlackWebAPI, caplog: pytest.LogCaptureFixture
) -> None:
    mine, other = (add_nudge(in_process.db, ref=r) for r in ("3.3", "3.4"))
    let_in(in_process.db, api, mine, "UTAMPER")
    assert _press(in_process, other, "UTAMPER") == 200
    in_process.settle()
    assert f"for {other.channel!r}: not a member" in caplog.text
    assert _checked(in_process, other) == []


def test_when_home_cannot_refresh_the_person_hears_the_press_was_saved(
    in_process: InProcess, api: SlackWebAPI
) -> None:
    nudge = add_nudge(in_process.db, ref="3.2")
    let_in(in_process.db, api, nudge, "UF2")
    api.faults.fail("views.publish", "invalid_blocks")
    assert _press(in_process, nudge, "UF2") == 200
    assert _checked(in_process, nudge) == ["UF2"]
    [told] = api.wait_for("chat.postMessage", timeout=10)
    assert told.params["channel"] == "UF2" and "check-off is saved" in told.params["text"]


def test_a_press_sent_again_acts_once(in_process: InProcess, api: SlackWebAPI) -> None:
    nudge = add_nudge(in_process.db, ref="4.2")
    let_in(in_process.db, api, nudge, "UREP2")
    value = f"{nudge.channel}|{nudge.ts}"
    press = urllib.parse.urlencode(
        block_actions_body("home_mark_done", value, user_id="UREP2", view=HOME)
    )
    signed_at = time.time()
    in_process.clock = lambda: signed_at  # the same bytes, the same signature
    first, again = in_process.signed(press, FORM), in_process.signed(press, FORM)
    assert in_process.dispatch(first).status == 200
    in_process.clock = time.time
    assert _press(in_process, nudge, "UREP2", "home_undo") == 200
    assert in_process.dispatch(again).status == 200  # the first press, sent again
    assert _checked(in_process, nudge) == []
