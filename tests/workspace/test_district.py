"""The seeded district: two campuses of role channels that the app tells apart by their names,
people only in their own campus's channel for their role, and weeks in which one channel needs
attention; and the day `try` opens on, whatever day it is started."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from progression.calendar import WeeklySlot, next_slot, week_of
from progression.campus import propose_campus
from progression.load import load_progression
from scheduler.digest import DEFAULT_DIGEST_AT, DEFAULT_DIGEST_WEEKDAY
from workspace import district
from workspace.clock import WorkspaceClock
from workspace.seed import opening_time, past_slots
from workspace.state import BOT_USER_ID, Channel, Person, Workspace
from workspace.web_api import WebAPI

D = district


@pytest.fixture
def web_api() -> WebAPI:
    workspace = Workspace(WorkspaceClock())
    district.open_district(workspace)
    return WebAPI(workspace, lambda: "ws://127.0.0.1:1/link/")


@pytest.mark.parametrize(
    ("person", "channels"),
    [
        (D.ADMIN, {D.GENERAL, D.PLANNING}),
        (D.PRINCIPAL, {D.GENERAL, D.LEADERS}),
        (D.ASSISTANT_PRINCIPAL, {D.GENERAL, D.LEADERS}),
        (D.TEACHER, {D.GENERAL, D.TEACHERS}),
        (D.SECOND_TEACHER, {D.GENERAL, D.TEACHERS}),
        (D.COACH, {D.GENERAL, D.STUDENTS}),
        (D.WASHINGTON_PRINCIPAL, {D.GENERAL, D.WASHINGTON_LEADERS}),
        (D.WASHINGTON_TEACHER, {D.GENERAL, D.WASHINGTON_TEACHERS}),
        (D.WASHINGTON_SECOND_TEACHER, {D.GENERAL, D.WASHINGTON_TEACHERS}),
        (D.WASHINGTON_COACH, {D.GENERAL, D.WASHINGTON_STUDENTS}),
    ],
    ids=lambda value: value.name if isinstance(value, Person) else "",
)
def test_slack_says_each_person_is_in_general_and_their_own_role_channel_only(
    web_api: WebAPI, person: Person, channels: set[Channel]
) -> None:
    """What the app asks (users.conversations) before it offers Mark done on App Home."""
    answer = web_api.users_conversations({"user": person.id, "types": "public_channel"})
    assert {c["id"] for c in answer["channels"]} == {c.id for c in channels}


def test_the_app_is_in_every_channel_and_counted_among_its_members(web_api: WebAPI) -> None:
    answer = web_api.users_conversations({"user": BOT_USER_ID, "types": "public_channel"})
    assert {c["id"] for c in answer["channels"]} == {c.id for c in district.CHANNELS}
    info = web_api.conversations_info({"channel": D.TEACHERS.id, "include_num_members": "true"})
    assert info["channel"]["num_members"] == 3  # two teachers and the app


def test_the_app_proposes_lincoln_washington_and_the_district_from_the_channel_names() -> None:
    progression = load_progression()
    names = {c.id: c.name for c in district.CHANNELS}
    campuses: dict[str, set[str]] = {}
    for channel_id, role in district.ROLE_CHANNELS.items():
        campus = propose_campus(names[channel_id], progression)
        campuses.setdefault(campus, set()).add(role)
    assert campuses == {
        "Lincoln": {"leader", "teacher", "student"},
        "Washington": {"leader", "teacher", "student"},
        "District": {"systems"},
    }


def test_only_lincoln_students_goes_two_nudges_without_a_check_off() -> None:
    """The seeded weeks' one channel that needs attention ("no ✅ on its last two nudges")."""
    last_two = range(district.PAST_WEEKS - 2, district.PAST_WEEKS)
    stalled = [
        channel_id
        for channel_id in district.ROLE_CHANNELS
        if not any(district.CHECK_OFFS.get(week, {}).get(channel_id) for week in last_two)
    ]
    assert stalled == [D.STUDENTS.id]
    # The latest nudge in #lincoln-teachers is left for the visitor to check off.
    assert D.TEACHERS.id not in district.CHECK_OFFS[district.PAST_WEEKS - 1]


def test_people_check_off_only_in_channels_they_are_in() -> None:
    for week in district.CHECK_OFFS.values():
        for channel_id, people in week.items():
            assert set(people) <= set(district.MEMBERS[channel_id]), channel_id


CHICAGO = ZoneInfo(district.TIMEZONE)
DIGEST = WeeklySlot(DEFAULT_DIGEST_WEEKDAY, DEFAULT_DIGEST_AT, district.TIMEZONE)
NUDGES = WeeklySlot(0, time(8, 0), district.TIMEZONE)


@pytest.mark.parametrize("hours", range(0, 7 * 24, 5))
def test_try_opens_before_the_seeded_weeks_digest_whatever_the_day(hours: int) -> None:
    """Started on a Saturday, the seeded week's digest was already due: the app posted it as
    soon as the seed set the clock back to now, before anyone could jump to it."""
    started = datetime(2026, 11, 30, 0, 30, tzinfo=CHICAGO) + timedelta(hours=hours)
    opens = opening_time(started.astimezone(UTC))
    latest = past_slots(started)[-1]
    assert latest < opens < latest + timedelta(days=1)
    _week, digest = next_slot(opens, DIGEST, [])
    _week, nudge = next_slot(opens, NUDGES, [])
    assert week_of(digest, district.TIMEZONE) == week_of(latest, district.TIMEZONE)
    assert digest < nudge  # the digest comes first: "Jump to digest", then the next nudge
