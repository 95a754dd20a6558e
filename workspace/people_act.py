"""What a person does in the workspace, sent to the app as Slack sends it over Socket Mode:
a slash command, a reaction, a button, opening the App Home."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from typing import Any

from workspace.socket_mode import AckTimeout, NotConnected, SocketMode
from workspace.state import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, Message, Workspace
from workspace.web_api import Responder, WebAPI

COMMAND = "/progression"
# Slack retries an event the app did not ack: at once, after a minute, after five minutes.
EVENT_RETRY_DELAYS = (0.0, 60.0, 300.0)
UNACKED_EVENT_NOTE = (
    "The app did not acknowledge this within 3 seconds; Slack will send it again (up to 3 retries)."
)

logger = logging.getLogger("workspace")


class ActError(Exception):
    """Something the person tried that the workspace refuses; the message says what."""


@dataclass
class Acts:
    workspace: Workspace
    web_api: WebAPI
    socket_mode: SocketMode
    base_url: str  # http://127.0.0.1:PORT/
    retry_delays: tuple[float, ...] = EVENT_RETRY_DELAYS
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _retries: set[asyncio.Task[None]] = field(default_factory=set)

    async def command(self, user_id: str, channel_id: str, text: str) -> None:
        """`/progression TEXT` typed in a channel; the ack's reply shows as Slack shows it."""
        person, channel = self._person(user_id), self._channel(channel_id)
        words = text.strip().split(maxsplit=1)
        if not words or words[0] != COMMAND:
            raise ActError(f"Only {COMMAND} commands can be sent here; try {COMMAND} help")
        response_url = self.web_api.new_response_url(self.base_url, Responder(user_id, channel_id))
        payload = {
            "token": "local-verification-token",
            "team_id": TEAM_ID,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": "directmessage" if channel.is_im else channel.name,
            "user_id": person.id,
            "user_name": person.name.lower().replace(" ", "."),
            "command": COMMAND,
            "text": words[1] if len(words) > 1 else "",
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": self._trigger_id(),
        }
        try:
            ack = await self.socket_mode.send("slash_commands", payload)
        except AckTimeout:
            self._private_note(
                user_id, channel_id, f'{COMMAND} failed with the error "operation_timeout"'
            )
            return
        reply = ack.get("payload")
        if isinstance(reply, dict) and reply:
            self.web_api.respond(response_url.rsplit("/", 1)[1], reply)

    async def react(self, user_id: str, channel_id: str, ts: str, name: str) -> bool:
        """Add or take back a reaction; the app hears reaction_added or reaction_removed."""
        self._person(user_id)
        message = self.workspace.find(channel_id, ts)
        if message is None or message.ephemeral_for:
            raise ActError("That message cannot take reactions")
        added = self.workspace.toggle_reaction(channel_id, ts, name, user_id)
        event = {
            "type": "reaction_added" if added else "reaction_removed",
            "user": user_id,
            "reaction": name,
            "item": {"type": "message", "channel": channel_id, "ts": ts},
            "item_user": message.user,
            "event_ts": self.workspace.next_ts(),
        }
        await self._event(event, user_id, channel_id)
        return bool(added)

    async def uninstall(self) -> None:
        """Someone removed the app from the workspace: its bot token is revoked, and Slack
        tells the app, with `app_uninstalled` and then `tokens_revoked`."""
        self.web_api.revoke_bot_tokens()
        revoked = {"oauth": [], "bot": [BOT_USER_ID]}
        for event in ({"type": "app_uninstalled"}, {"type": "tokens_revoked", "tokens": revoked}):
            event["event_ts"] = f"{self.workspace.clock.timestamp():.6f}"
            await self.socket_mode.send("events_api", self._event_payload(event))

    async def open_home(self, user_id: str) -> None:
        self._person(user_id)
        channel = self.workspace.direct_channel(user_id)
        await self._event(
            {
                "type": "app_home_opened",
                "user": user_id,
                "channel": channel.id,
                "tab": "home",
                "event_ts": self.workspace.next_ts(),
                **(
                    {"view": self.workspace.home_views[user_id]}
                    if user_id in self.workspace.home_views
                    else {}
                ),
            },
            user_id,
            channel.id,
        )

    async def click(
        self,
        user_id: str,
        action: dict[str, str],
        *,
        channel_id: str = "",
        ts: str = "",
    ) -> None:
        """A button in a message (channel_id and ts) or in the person's App Home."""
        person = self._person(user_id)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": {
                "id": person.id,
                "username": person.name.lower().replace(" ", "."),
                "name": person.name.lower().replace(" ", "."),
                "team_id": TEAM_ID,
            },
            "api_app_id": APP_ID,
            "token": "local-verification-token",
            "trigger_id": self._trigger_id(),
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "state": {"values": {}},
            "actions": [
                {
                    "type": "button",
                    "action_id": action.get("action_id", ""),
                    "block_id": action.get("block_id", ""),
                    "value": action.get("value", ""),
                    "text": {"type": "plain_text", "text": action.get("text", ""), "emoji": True},
                    "action_ts": self.workspace.next_ts(),
                }
            ],
        }
        if channel_id:
            payload.update(self._message_container(user_id, channel_id, ts))
        else:
            view = self.workspace.home_views.get(user_id)
            if view is None:
                raise ActError("No App Home to click in")
            payload["container"] = {"type": "view", "view_id": view["id"]}
            payload["view"] = view
        try:
            await self.socket_mode.send("interactive", payload)
        except AckTimeout:
            self._private_note(user_id, channel_id, "The app did not answer in time.")

    def _message_container(self, user_id: str, channel_id: str, ts: str) -> dict[str, Any]:
        message = self.workspace.find(channel_id, ts)
        if message is None:
            raise ActError("That message is gone")
        channel = self._channel(channel_id)
        private = bool(message.ephemeral_for)
        responder = Responder(user_id, channel_id, ts, private)
        return {
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel_id,
                "is_ephemeral": private,
            },
            "channel": {"id": channel_id, "name": channel.name},
            # Slack leaves a private message out of the payload: the app knows it only by ts.
            **({} if private else {"message": message.as_slack(self.workspace.identity)}),
            "response_url": self.web_api.new_response_url(self.base_url, responder),
        }

    async def _event(self, event: dict[str, Any], user_id: str, channel_id: str) -> None:
        """Send an event; one the app does not ack in time is noted to the person and sent
        again in the background, as Slack retries it."""
        payload = self._event_payload(event)
        try:
            await self.socket_mode.send("events_api", payload)
        except AckTimeout:
            self._private_note(user_id, channel_id, UNACKED_EVENT_NOTE)
            retrying = asyncio.get_running_loop().create_task(self._retry(payload))
            self._retries.add(retrying)  # kept, so the task is not collected mid-way
            retrying.add_done_callback(self._retries.discard)

    async def _retry(self, payload: dict[str, Any]) -> None:
        for attempt, delay in enumerate(self.retry_delays, start=1):
            await asyncio.sleep(delay)
            try:
                await self.socket_mode.send(
                    "events_api", payload, retry_attempt=attempt, retry_reason="timeout"
                )
                return
            except AckTimeout:
                continue
            except NotConnected:
                logger.info("event %s not retried: the app is not connected", payload["event_id"])
                return

    def _event_payload(self, event: dict[str, Any]) -> dict[str, Any]:
        number = next(self._numbers)
        return {
            "token": "local-verification-token",
            "team_id": TEAM_ID,
            "context_team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": f"Ev{number:08d}",
            "event_time": int(self.workspace.clock.timestamp()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }

    def _private_note(self, user_id: str, channel_id: str, text: str) -> None:
        """What Slack itself shows the person privately (slackbot's "failed with the error")."""
        self.workspace.post(
            Message(
                channel=channel_id,
                ts=self.workspace.next_ts(),
                user="USLACKBOT",
                text=text,
                ephemeral_for=user_id,
            )
        )

    def _trigger_id(self) -> str:
        return f"{next(self._numbers)}.{int(self.workspace.clock.timestamp())}.local"

    def _person(self, user_id: str) -> Any:
        person = self.workspace.person(user_id)
        if person is None or person.is_bot:
            raise ActError(f"No such person: {user_id}")
        return person

    def _channel(self, channel_id: str) -> Any:
        channel = self.workspace.channels.get(channel_id)
        if channel is None:
            raise ActError(f"No such channel: {channel_id}")
        return channel
