"""Slack's Web API, the methods the app calls, with Slack's argument names, answers and errors.

`WebAPI.call(method, params, token)` is plain Python; the HTTP layer only decodes the request
and encodes the answer, so the same object can serve tests that inject faults or read calls."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workspace.blockkit import with_slack_ids
from workspace.state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    TEAM_NAME,
    Message,
    Workspace,
)

BOT_TOKEN = "xoxb-local-workspace-bot-token"
APP_TOKEN = "xapp-local-workspace-app-token"
# Arguments slack_sdk sends as JSON strings in form bodies.
JSON_ARGUMENTS = frozenset({"blocks", "attachments", "view", "metadata"})

Answer = dict[str, Any]


@dataclass
class Responder:
    """Who a `response_url` answers: the person and channel, and the private message the
    interaction came from (which `replace_original` / `delete_original` act on)."""

    user: str
    channel: str
    original_ts: str = ""
    original_ephemeral: bool = False


@dataclass
class WebAPI:
    workspace: Workspace
    socket_url: Callable[[], str]
    bot_token: str = BOT_TOKEN
    app_token: str = APP_TOKEN
    responders: dict[str, Responder] = field(default_factory=dict)

    # --- calls ----------------------------------------------------------------------

    def call(self, method: str, params: dict[str, Any], token: str | None) -> Answer:
        """Slack's answer to one call; every call is in the developer's log."""
        answer = self._refusal(method, token)
        if answer is None:
            handler = _METHODS.get(method)
            answer = handler(self, params) if handler else {"ok": False, "error": "unknown_method"}
        self.workspace.record("web_api", method, params, answer)
        return answer

    def _refusal(self, method: str, token: str | None) -> Answer | None:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token not in (self.bot_token, self.app_token):
            return {"ok": False, "error": "invalid_auth"}
        if (method == "apps.connections.open") != (token == self.app_token):
            return {"ok": False, "error": "not_allowed_token_type"}
        return None

    # --- response_url ---------------------------------------------------------------

    def new_response_url(self, base: str, responder: Responder) -> str:
        key = f"{len(self.responders) + 1:06d}"
        self.responders[key] = responder
        return f"{base}response/{key}"

    def respond(self, key: str, body: dict[str, Any]) -> Answer:
        """A POST to a response_url: a private reply, a message, or a change to the original."""
        responder = self.responders.get(key)
        if responder is None:
            answer: Answer = {"ok": False, "error": "expired_url"}
        else:
            answer = self._respond(responder, body)
        self.workspace.record("response_url", f"response_url {key}", body, answer)
        return answer

    def _respond(self, responder: Responder, body: dict[str, Any]) -> Answer:
        ws = self.workspace
        original = responder.original_ts
        if body.get("delete_original") and original:
            ws.delete(responder.channel, original)
        if not _has_content(body):
            return {"ok": True}
        if body.get("replace_original") and original and body.get("response_type") != "in_channel":
            ws.update(responder.channel, original, **_content(body))
            return {"ok": True}
        private = body.get("response_type", "ephemeral") != "in_channel"
        ws.post(
            Message(
                channel=responder.channel,
                ts=ws.next_ts(),
                user=BOT_USER_ID,
                ephemeral_for=responder.user if private else "",
                **_content(body),
            )
        )
        return {"ok": True}

    # --- methods --------------------------------------------------------------------

    def auth_test(self, params: dict[str, Any]) -> Answer:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "progression",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def connections_open(self, params: dict[str, Any]) -> Answer:
        return {"ok": True, "url": self.socket_url()}

    def post_message(self, params: dict[str, Any]) -> Answer:
        channel, refused = self._channel_for_post(params)
        if refused:
            return refused
        message = self.workspace.post(
            Message(
                channel=channel, ts=self.workspace.next_ts(), user=BOT_USER_ID, **_content(params)
            )
        )
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_slack()}

    def post_ephemeral(self, params: dict[str, Any]) -> Answer:
        channel, refused = self._channel_for_post(params)
        if refused:
            return refused
        user = str(params.get("user") or "")
        if user not in self.workspace.people:
            return {"ok": False, "error": "user_not_in_channel"}
        ts = self.workspace.next_ts()
        self.workspace.post(
            Message(
                channel=channel, ts=ts, user=BOT_USER_ID, ephemeral_for=user, **_content(params)
            )
        )
        return {"ok": True, "message_ts": ts}

    def update(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if channel not in self.workspace.channels:
            return {"ok": False, "error": "channel_not_found"}
        found = self.workspace.find(channel, ts)
        if found is None or found.ephemeral_for:
            return {"ok": False, "error": "message_not_found"}
        if found.user != BOT_USER_ID:
            return {"ok": False, "error": "cant_update_message"}
        if not _has_content(params):
            return {"ok": False, "error": "no_text"}
        message = self.workspace.update(channel, ts, **_content(params))
        assert message is not None
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.text,
            "message": message.as_slack(),
        }

    def delete(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        if channel not in self.workspace.channels:
            return {"ok": False, "error": "channel_not_found"}
        found = self.workspace.find(channel, ts)
        if found is None:
            return {"ok": False, "error": "message_not_found"}
        if found.user != BOT_USER_ID:
            return {"ok": False, "error": "cant_delete_message"}
        self.workspace.delete(channel, ts)
        return {"ok": True, "channel": channel, "ts": ts}

    def get_permalink(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if channel not in self.workspace.channels:
            return {"ok": False, "error": "channel_not_found"}
        if self.workspace.find(channel, ts) is None:
            return {"ok": False, "error": "message_not_found"}
        archive = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}"
        return {"ok": True, "channel": channel, "permalink": f"{archive}/p{ts.replace('.', '')}"}

    def users_info(self, params: dict[str, Any]) -> Answer:
        person = self.workspace.person(str(params.get("user") or ""))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": person.id,
                "team_id": TEAM_ID,
                "name": person.name.lower().replace(" ", "."),
                "real_name": person.name,
                "deleted": False,
                "tz": person.tz,
                "is_admin": person.is_admin,
                "is_owner": False,
                "is_primary_owner": False,
                "is_restricted": False,
                "is_ultra_restricted": False,
                "is_bot": person.is_bot,
                "is_app_user": False,
                "profile": {
                    "title": person.title,
                    "real_name": person.name,
                    "display_name": person.name,
                },
            },
        }

    def conversations_info(self, params: dict[str, Any]) -> Answer:
        channel = self.workspace.channels.get(str(params.get("channel") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": _conversation(channel.id, channel.name, channel.is_im)}

    def conversations_open(self, params: dict[str, Any]) -> Answer:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 1:
            return {"ok": False, "error": "not_enough_users"}  # group DMs: not in this workspace
        if users[0] not in self.workspace.people:
            return {"ok": False, "error": "user_not_found"}
        channel = self.workspace.direct_channel(users[0])
        return {"ok": True, "channel": {"id": channel.id}}

    def conversations_members(self, params: dict[str, Any]) -> Answer:
        channel = self.workspace.channels.get(str(params.get("channel") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        members = [channel.user, BOT_USER_ID] if channel.is_im else list(self.workspace.people)
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def views_publish(self, params: dict[str, Any]) -> Answer:
        view, user = params.get("view"), str(params.get("user_id") or "")
        if not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        if user not in self.workspace.people:
            return {"ok": False, "error": "user_not_found"}
        published = {
            "id": f"V{user}",
            "team_id": TEAM_ID,
            "type": "home",
            "blocks": with_slack_ids(view).get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self.workspace.next_ts(),
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        self.workspace.publish_view(user, published)
        return {"ok": True, "view": published}

    def _channel_for_post(self, params: dict[str, Any]) -> tuple[str, Answer | None]:
        channel = str(params.get("channel") or "")
        if channel.startswith("U") and channel in self.workspace.people:
            channel = self.workspace.direct_channel(channel).id  # a user ID posts to the DM
        if channel not in self.workspace.channels:
            return channel, {"ok": False, "error": "channel_not_found"}
        if not _has_content(params):
            return channel, {"ok": False, "error": "no_text"}
        return channel, None


_METHODS: dict[str, Callable[[WebAPI, dict[str, Any]], Answer]] = {
    "auth.test": WebAPI.auth_test,
    "apps.connections.open": WebAPI.connections_open,
    "chat.postMessage": WebAPI.post_message,
    "chat.postEphemeral": WebAPI.post_ephemeral,
    "chat.update": WebAPI.update,
    "chat.delete": WebAPI.delete,
    "chat.getPermalink": WebAPI.get_permalink,
    "users.info": WebAPI.users_info,
    "conversations.info": WebAPI.conversations_info,
    "conversations.open": WebAPI.conversations_open,
    "conversations.members": WebAPI.conversations_members,
    "views.publish": WebAPI.views_publish,
}
METHODS = tuple(_METHODS)


def decode_arguments(body: bytes, content_type: str, query: str) -> dict[str, Any]:
    """A Web API call's arguments: query string, then a form or JSON body; JSON-string
    arguments (blocks, view) decoded as Slack does."""
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    if body and "json" in content_type:
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update(decoded)
    elif body:
        params.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    for key in JSON_ARGUMENTS & params.keys():
        value = params[key]
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params


def _has_content(params: dict[str, Any]) -> bool:
    return any(params.get(key) for key in ("text", "blocks", "attachments"))


def _content(params: dict[str, Any]) -> dict[str, Any]:
    """A message's text, blocks and attachments, with the block and action ids Slack gives."""
    stored = with_slack_ids(params)
    blocks = stored.get("blocks")
    attachments = stored.get("attachments")
    return {
        "text": str(params.get("text") or ""),
        "blocks": blocks if isinstance(blocks, list) else [],
        "attachments": attachments if isinstance(attachments, list) else [],
    }


def _conversation(channel_id: str, name: str, is_im: bool) -> dict[str, Any]:
    return {
        "id": channel_id,
        "name": name,
        "is_channel": not is_im,
        "is_group": False,
        "is_im": is_im,
        "is_private": is_im,
        "is_member": True,
        "is_archived": False,
        "is_general": name == "general",
        "context_team_id": TEAM_ID,
    }
