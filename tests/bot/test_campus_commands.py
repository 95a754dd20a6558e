"""Campuses through `/progression`, signed as Slack signs it, on SQLite and PostgreSQL: proposed
from a channel's name when it is subscribed, named outright or renamed by a manager, shown to
anyone, listed with their channels, in `subscriptions` and in the export; and every bad name
refused with a sentence, nothing stored."""

from __future__ import annotations

import csv
import io

import pytest

from bot.cli.export import export_checkoffs
from tests.bot.leaders import LAST_WEEK, MANAGER, District
from tests.slack.signing import TEAM_ID


def campus(district: District, channel: str) -> str | None:
    subscription = district.store.subscription(TEAM_ID, channel)
    assert subscription is not None
    return subscription.campus


@pytest.mark.parametrize(
    ("name", "role", "proposed"),
    [
        ("lincoln-teachers", "teacher", "Lincoln"),
        ("washington-elementary-leaders", "leader", "Washington Elementary"),
        ("district-planning", "systems", "District"),
        ("teachers", "teacher", "District"),
    ],
)
def test_subscribe_proposes_the_campus_from_the_channel_name_and_says_so(
    district: District, name: str, role: str, proposed: str
) -> None:
    said = district.subscribe("CSUB1", name, role, "U1", "U2")
    assert f"Campus: *{proposed}* (from the channel's name)." in said
    assert "`/progression campus Lincoln Elementary` names the campus otherwise" in said
    assert campus(district, "CSUB1") == proposed
    # Slack was asked about the channel once, and its people (the app not counted) kept.
    [info] = district.api.calls("conversations.info")
    assert info.params["channel"] == "CSUB1"
    assert district.store.channel_sizes(TEAM_ID)["CSUB1"].people == 2


def test_a_private_channel_is_named_by_slack_when_the_command_does_not_name_it(
    district: District,
) -> None:
    district.api.add_channel("GPRIV1", name="adams-teachers", is_private=True)
    said = district.say("subscribe teacher", channel="GPRIV1", channel_name="privategroup")
    assert "Campus: *Adams* (from the channel's name)." in said
    assert campus(district, "GPRIV1") == "Adams"


def test_subscribe_names_the_campus_outright_and_a_second_subscribe_keeps_it(
    district: District,
) -> None:
    said = district.say(
        "subscribe teachers phase 2,3 campus Lincoln Elementary",
        channel="CSUB2",
        channel_name="lincoln-teachers",
    )
    assert "Campus: *Lincoln Elementary*." in said and "from the channel's name" not in said
    assert campus(district, "CSUB2") == "Lincoln Elementary"
    again = district.say("subscribe teacher", channel="CSUB2", channel_name="lincoln-teachers")
    assert "Campus: *Lincoln Elementary*." in again
    assert campus(district, "CSUB2") == "Lincoln Elementary"


def test_anyone_sees_the_campus_and_a_manager_renames_it_there(district: District) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    district.subscribe("CLL", "lincoln-leaders", "leader")
    district.api.add_user("UTEACH")
    shown = district.say("campus", user="UTEACH", channel="CLT")
    assert "<#CLT> belongs to the campus *Lincoln*, with <#CLL>." in shown

    renamed = district.say("campus Lincoln Elementary", channel="CLT")
    assert "<#CLT> now belongs to *Lincoln Elementary* (it was *Lincoln*)" in renamed
    assert "Still in *Lincoln*: <#CLL>" in renamed
    assert campus(district, "CLT") == "Lincoln Elementary"
    assert campus(district, "CLL") == "Lincoln"
    same = district.say("campus Lincoln Elementary", channel="CLT")
    assert "already belongs to *Lincoln Elementary*: nothing changed" in same


def test_a_manager_slack_must_be_asked_about_is_answered_through_the_response_url(
    district: District,
) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    district.api.add_user("UADMIN", is_admin=True)
    reply = district.app.command(
        "campus Lincoln Elementary",
        user_id="UADMIN",
        channel_id="CLT",
        response_url=district.api.response_url("rename"),
    )
    # Answered at once; nothing is said to be under way before Slack says who may.
    assert "Checking with Slack that you can manage" in reply.body
    [answer] = district.api.wait_for_response_url("rename", timeout=10)
    assert "now belongs to *Lincoln Elementary*" in str(answer.params)
    assert [c.params["user"] for c in district.api.calls("users.info")] == ["UADMIN"]
    assert campus(district, "CLT") == "Lincoln Elementary"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("campus " + "Lincoln " * 11, "A campus name is at most 80 characters; that one has 87."),
        ("campus *Lincoln*", "A campus name is plain words"),
        ("campus &lt;@U123|dana&gt;", "A campus name is plain words"),
        ("campus &lt;https://evil.example|Lincoln&gt;", "A campus name is plain words"),
        ("campus :-)", "A campus name is plain words"),
        ("subscribe teacher campus", "A campus needs a name"),
        ("subscribe teacher campus " + "x" * 81, "at most 80 characters; that one has 81."),
    ],
)
def test_a_bad_campus_name_is_named_and_nothing_is_stored(
    district: District, text: str, says: str
) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    district.api.clear()
    said = district.say(text, channel="CLT")
    assert says in said
    assert campus(district, "CLT") == "Lincoln"
    assert not district.api.calls("chat.postMessage")  # no announcement: nothing was subscribed


def test_only_a_manager_renames_and_nothing_changes_otherwise(district: District) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    district.api.add_user("UTEACH")
    said = district.say("campus Washington", user="UTEACH", channel="CLT")
    assert "Only managers can do that." in said and f"<@{MANAGER}>" in said
    assert campus(district, "CLT") == "Lincoln"


def test_a_channel_that_is_no_role_channel_has_no_campus(district: District) -> None:
    for text in ("campus", "campus Lincoln"):
        said = district.say(text, channel="CGENERAL")
        assert "This channel is not a role channel, so it belongs to no campus." in said
    assert district.store.subscription(TEAM_ID, "CGENERAL") is None


def test_campuses_lists_every_campus_with_its_channels(district: District) -> None:
    for channel, name, role in (
        ("CLT", "lincoln-teachers", "teacher"),
        ("CLL", "lincoln-leaders", "leader"),
        ("CWT", "washington-teachers", "teacher"),
        ("CDP", "district-planning", "systems"),
    ):
        district.subscribe(channel, name, role)
    district.api.add_user("UTEACH")
    said = district.say("campuses", user="UTEACH", channel="CLT")
    assert "3 campuses · 4 role channels" in said
    lincoln = said.index("*Lincoln* · <#CLL> Leader · <#CLT> Teacher")  # the roles' order
    washington = said.index("*Washington* · <#CWT> Teacher")
    planning = said.index("*District* · <#CDP> Systems Level Planning")
    assert lincoln < washington < planning  # named campuses by name, the district's last


def test_subscriptions_show_each_channels_campus_and_reminder(district: District) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher")
    district.subscribe("CWL", "washington-leaders", "leader")
    district.say("remind thursday", channel="CLT")
    said = district.say("subscriptions", channel="CLT")
    assert "<#CLT> · *Teacher* · all phases · campus *Lincoln* · reminder Thursdays" in said
    assert "<#CWL> · *Leader* · all phases · campus *Washington* · no reminder" in said


def test_the_export_has_each_check_offs_campus(district: District) -> None:
    district.subscribe("CLT", "lincoln-teachers", "teacher", "U1")
    district.subscribe("CWT", "washington-teachers", "teacher", "U2")
    district.react("U1", "CLT", district.nudge("CLT", LAST_WEEK, "1.7"))
    district.react("U2", "CWT", district.nudge("CWT", LAST_WEEK, "1.7"))
    district.say("campus Lincoln Elementary", channel="CLT")
    out = io.StringIO()
    assert export_checkoffs(district.store, out, TEAM_ID) == 2
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert list(rows[0]) == ["team", "channel", "campus", "role", "move", "user", "checked_at"]
    assert [(r["channel"], r["campus"], r["user"]) for r in rows] == [
        ("CLT", "Lincoln Elementary", "U1"),
        ("CWT", "Washington", "U2"),
    ]
