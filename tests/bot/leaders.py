"""A district as its leaders meet it, in the test's process on SQLite or PostgreSQL: channels
subscribed with signed `/progression subscribe` commands (their campus proposed from their
names), nudges as the weekly fan-out leaves them, check-offs as reactions, and what a person
ends up reading (the answer in the response, or what follows through the response_url)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from progression.model import Progression
from tests.bot.answers import is_interim
from tests.bot.in_process import InProcess, app_in_process
from tests.slack.signing import TEAM_ID, app_home_opened_event, reaction_event
from tests.slack.web_api import SlackWebAPI

NOW = datetime(2026, 12, 9, 15, 0, tzinfo=UTC)  # a Wednesday, in 2026-W50
THIS_WEEK, LAST_WEEK = "2026-W50", "2026-W49"
MANAGER = "UMGR1"  # named in PROGRESSION_MANAGERS: known to manage without asking Slack
_ids = itertools.count(1)


class District:
    """The app, and what people do in its workspace."""

    def __init__(self, app: InProcess) -> None:
        self.app, self.api, self.store = app, app.api, app.store

    def say(
        self, text: str, *, user: str = MANAGER, channel: str = "CGEN", channel_name: str = ""
    ) -> str:
        """`/progression TEXT` by `user` in `channel`: everything the person ends up reading,
        as JSON text (the answer itself, or what came through the response_url after it)."""
        name = f"leaders-{next(_ids)}"
        reply = self.app.command(
            text,
            user_id=user,
            channel_id=channel,
            channel_name=channel_name or channel.lower(),
            response_url=self.api.response_url(name),
        )
        assert reply.status == 200, reply.body
        body = reply.json()
        if is_interim(body):
            [call] = self.api.wait_for_response_url(name, timeout=10)
            body = call.params
        assert body["response_type"] == "ephemeral"
        return json.dumps(body, ensure_ascii=False)

    def subscribe(self, channel: str, name: str, role: str, *people: str) -> str:
        """A manager subscribes `#name` (its members `people`, and the app) to `role`."""
        self.api.add_member(channel, *people)
        return self.say(f"subscribe {role}", channel=channel, channel_name=name)

    def nudge(self, channel: str, week: str, ref: str, round_: int = 1) -> str:
        """The week's nudge of `ref` in the channel (in its `round_` through the role's
        moves), posted and confirmed; its ts."""
        subscription = self.store.subscription(TEAM_ID, channel)
        assert subscription is not None
        ts = f"1765000000.{next(_ids):06d}"
        role = subscription.role
        assert self.store.claim_delivery(
            TEAM_ID, channel, week, role=role, ref=ref, round=round_, owner="t", now=NOW
        )
        self.store.confirm_delivery(TEAM_ID, channel, week, ts, NOW)
        return ts

    def react(self, user: str, channel: str, ts: str) -> None:
        """`user` checks the nudge off with ✅ (a signed `reaction_added` event)."""
        event = reaction_event(
            "reaction_added", user=user, reaction="white_check_mark", channel=channel, ts=ts
        )
        assert self.app.event(event).status == 200

    def home(self, user: str) -> str:
        """The App Home tab the app publishes for `user` when they open it."""
        before = len(self.api.calls("views.publish"))
        assert self.app.event(app_home_opened_event(user)).status == 200
        published = self.api.wait_for("views.publish", before + 1, timeout=10)[-1]
        assert published.params["user_id"] == user
        return json.dumps(published.params["view"], ensure_ascii=False)


@contextmanager
def district_app(api: SlackWebAPI, database: str, progression: Progression) -> Iterator[District]:
    """The app on `database` (a SQLite file or a PostgreSQL URL), its clock at `NOW`."""
    with app_in_process(
        api, database, progression, clock=lambda: NOW, PROGRESSION_MANAGERS=MANAGER
    ) as app:
        yield District(app)
