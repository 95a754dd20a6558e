"""`/progression digest` and `remind` through signed requests, on SQLite and PostgreSQL: anyone
sees when the leaders' digest goes out next (weekday, time, timezone, date) and a channel's
reminder; a manager changes them, and the runner is asked to re-arm in the same transaction;
a time or day that cannot be read, or a change from someone else, is answered with a sentence
that names it, and nothing is stored."""

from __future__ import annotations

import pytest

from scheduler.digest import digest_slot
from store.records import DigestSchedule
from tests.bot.leaders import MANAGER, District
from tests.slack.signing import TEAM_ID


def reminder(district: District, channel: str) -> int | None:
    subscription = district.store.subscription(TEAM_ID, channel)
    assert subscription is not None
    return subscription.remind_weekday


def test_anyone_sees_when_the_next_digest_goes_out(district: District) -> None:
    district.subscribe("CLL", "lincoln-leaders", "leader")
    district.api.add_user("UTEACH")
    said = district.say("digest", user="UTEACH")
    assert "The weekly digest goes out every *Friday at 14:00 (UTC)*" in said
    assert "The next one: *Friday 11 December 2026 at 14:00 (UTC)*." in said
    assert "nobody gets it" not in said


def test_the_digest_follows_the_workspaces_timezone_and_says_who_gets_none(
    district: District,
) -> None:
    district.say("schedule monday 08:00 America/Chicago")
    said = district.say("digest")
    assert "*Friday at 14:00 (America/Chicago)*" in said
    assert "*Friday 11 December 2026 at 14:00 (America/Chicago)*" in said
    assert "No leader or systems channel is subscribed yet, so nobody gets it" in said


def test_a_manager_moves_the_digest_and_turns_it_off_and_on(district: District) -> None:
    said = district.say("digest thursday 3:30pm")
    assert "The weekly digest now goes out every *Thursday at 15:30 (UTC)*" in said
    assert "The next one: *Thursday 10 December 2026 at 15:30 (UTC)*." in said
    assert district.store.digest_schedule(TEAM_ID) == DigestSchedule(3, "15:30", True)
    # The runner re-arms the workspace's jobs: asked in the same transaction as the change
    # (nothing else in this workspace asked it to).
    assert [w.team_id for w in district.store.pending_work("arm")] == [TEAM_ID]

    off = district.say("digest off")
    assert "The weekly digest is off now" in off and "`/progression digest friday 14:00`" in off
    assert digest_slot(district.store, TEAM_ID, "UTC") is None
    assert district.store.digest_schedule(TEAM_ID) == DigestSchedule(3, "15:30", False)
    assert "The weekly digest is off:" in district.say("digest")
    district.say("digest off")  # off again: the day and time it had are still kept
    assert district.store.digest_schedule(TEAM_ID) == DigestSchedule(3, "15:30", False)

    on = district.say("digest friday 14:00")
    assert "now goes out every *Friday at 14:00 (UTC)*" in on
    assert district.store.digest_schedule(TEAM_ID) == DigestSchedule(4, "14:00", True)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("digest someday 14:00", "`someday` is not a day of the week."),
        ("digest friday 25:00", "`25:00` is not a time of day (00:00 to 23:59)."),
        ("digest friday teatime", "`teatime` is not a time like 07:30."),
        ("digest friday", "At what time? The digest needs a weekday and a time."),
        ("digest friday 14:00 America/Chicago", "the digest goes out in the workspace's timezone"),
        ("remind someday", "`someday` is not a day of the week."),
        ("remind thursday 10:00", "a reminder goes out at the time the nudges do"),
        ("remind monday", "A reminder comes after the week's nudge, and nudges go out on Mondays"),
    ],
)
def test_a_day_or_time_that_cannot_be_read_is_named_and_nothing_is_stored(
    district: District, text: str, says: str
) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    said = district.say(text, channel="CLT")
    assert says in said
    assert district.store.digest_schedule(TEAM_ID) is None
    assert reminder(district, "CLT") is None


@pytest.mark.parametrize("text", ["digest friday 09:00", "digest off", "remind thursday"])
def test_only_a_manager_changes_them(district: District, text: str) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    district.api.add_user("UTEACH")
    said = district.say(text, user="UTEACH", channel="CLT")
    assert "Only managers can do that." in said and f"<@{MANAGER}>" in said
    assert district.store.digest_schedule(TEAM_ID) is None
    assert reminder(district, "CLT") is None


def test_a_manager_sets_a_channels_reminder_and_anyone_sees_it(district: District) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    set_ = district.say("remind thursday", channel="CLT")
    assert "<#CLT> now gets a reminder on *Thursdays at 08:00 (UTC)*" in set_
    assert "one reply in the nudge's thread, never in the channel itself" in set_
    assert reminder(district, "CLT") == 3

    district.api.add_user("UTEACH")
    assert "<#CLT> gets a reminder on *Thursdays" in district.say(
        "remind", user="UTEACH", channel="CLT"
    )
    assert "<#CLT> gets no more reminders." in district.say("remind off", channel="CLT")
    assert reminder(district, "CLT") is None
    assert "<#CLT> gets no reminders." in district.say("remind", user="UTEACH", channel="CLT")


def test_a_channel_that_is_no_role_channel_has_no_reminder(district: District) -> None:
    said = district.say("remind thursday", channel="CGENERAL")
    assert "This channel is not a role channel, so it has no weekly nudge to remind of." in said
    assert district.store.subscription(TEAM_ID, "CGENERAL") is None
