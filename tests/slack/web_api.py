"""Slack's Web API for tests: the local workspace's server on 127.0.0.1, which the app reaches
through SLACK_API_URL. It answers like Slack, records every call, and injects faults; all of it
is the workspace's (`workspace.web_api`, `workspace.faults`, `workspace.calls`), started here
with an open directory (any channel is one the app is in) and the test district's identity."""

from __future__ import annotations

import time
from collections.abc import Collection
from types import TracebackType

from starlette.applications import Starlette

from workspace.calls import Call, CallLog
from workspace.clock import WorkspaceClock
from workspace.faults import Clock, Faults
from workspace.oauth import Installs
from workspace.server_thread import ServerThread, listen
from workspace.slack_http import slack_routes
from workspace.socket_mode import SocketMode
from workspace.state import Channel, Identity, Person, Workspace
from workspace.web_api import WebAPI

TEAM_ID = "T0001"
TEAM_DOMAIN = "district"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0APP"
IDENTITY = Identity(
    team_id=TEAM_ID,
    team_name="Test District",
    team_domain=TEAM_DOMAIN,
    app_id=APP_ID,
    bot_id=BOT_ID,
    bot_user_id=BOT_USER_ID,
    bot_name="progression",
)

__all__ = ["APP_ID", "BOT_ID", "BOT_USER_ID", "TEAM_DOMAIN", "TEAM_ID", "Call", "SlackWebAPI"]


class SlackWebAPI:
    """`with SlackWebAPI() as api:` then give the app `api.url` as SLACK_API_URL; Slack on a bad
    day is `api.faults` (workspace.faults.Faults: errors, 429s, 5xx, delays, held answers).

    `tokens`: the only tokens accepted; by default any xoxb-/xapp- token is.
    `clock`: monotonic seconds, for `Call.at` and the enforced rate limits."""

    def __init__(
        self, tokens: Collection[str] | None = None, clock: Clock = time.monotonic
    ) -> None:
        self.workspace = Workspace(WorkspaceClock(), IDENTITY)
        self.workspace.reset([], [])
        self.faults = Faults(clock)
        self.call_log = CallLog()
        self.socket_url = ""  # what apps.connections.open hands out (a SocketModeServer's)
        self.web_api = WebAPI(
            self.workspace,
            lambda: self.socket_url,
            tokens=frozenset(tokens) if tokens is not None else None,
            open_directory=True,
            faults=self.faults,
            calls=self.call_log,
        )
        routes = slack_routes(self.web_api, SocketMode(self.workspace), self._hang_up)
        self._server = ServerThread(Starlette(routes=routes), listen("127.0.0.1", 0), "slack")

    # --- lifecycle ------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def clock(self) -> Clock:
        return self.faults.clock

    def start(self) -> SlackWebAPI:
        if not self._server.start():
            raise RuntimeError("the Slack stand-in did not start")
        return self

    def stop(self) -> None:
        self.faults.release()  # held answers go out, so their connections can close
        self._server.stop()

    def __enter__(self) -> SlackWebAPI:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget calls, faults, delays, limits, held answers and directories (between tests)."""
        self.call_log.clear()
        self.faults.reset()
        self.workspace.reset([], [])
        self.web_api.responders.clear()
        self.web_api.installs.clear()

    @property
    def installs(self) -> Installs:
        """ "Add to Slack": the app's client credentials, `allow(...)` for the code Slack's
        authorize page hands out, and the token each installation got."""
        return self.web_api.installs

    def _hang_up(self, client: tuple[str, int] | None) -> None:
        self._server.hang_up(client)

    # --- records --------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        return self.call_log.calls(method)

    def wait_for(self, method: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `count` calls of `method` arrived; AssertionError after `timeout`."""
        return self.call_log.wait_for(method, count, timeout)

    def wait_for_response_url(self, name: str, count: int = 1, timeout: float = 5) -> list[Call]:
        """Block until `count` POSTs to `response_url(name)` arrived; AssertionError after."""
        return self.call_log.wait_for_response_url(name, count, timeout)

    def clear(self) -> None:
        self.call_log.clear()

    def response_url(self, name: str = "r") -> str:
        """A response_url whose POSTs are recorded as `response_url` calls."""
        return f"http://127.0.0.1:{self.port}/response/{name}"

    # --- directories ----------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        is_bot: bool = False,
        name: str = "",
        tz: str = "America/Chicago",
        deleted: bool = False,
    ) -> None:
        self.workspace.add_person(
            Person(
                user_id,
                name or user_id,
                "",
                is_admin=is_admin,
                is_bot=is_bot,
                tz=tz,
                is_owner=is_owner,
                deleted=deleted,
            )
        )

    def add_channel(
        self,
        channel_id: str,
        *,
        name: str = "",
        is_private: bool = False,
        is_member: bool = True,
        is_archived: bool = False,
        team_id: str = "",
    ) -> None:
        self.workspace.add_channel(
            Channel(
                channel_id,
                name or channel_id.lower(),
                is_private=is_private,
                is_member=is_member,
                is_archived=is_archived,
                team_id=team_id,
            )
        )

    def add_member(self, channel_id: str, *user_ids: str) -> None:
        """Make users members of a channel (a channel not added is public)."""
        members = set(self.workspace.members.get(channel_id, ()))
        self.workspace.set_members(channel_id, members | set(user_ids))

    def remove_member(self, channel_id: str, *user_ids: str) -> None:
        members = set(self.workspace.members.get(channel_id, ()))
        self.workspace.set_members(channel_id, members - set(user_ids))
