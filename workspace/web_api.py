"""Slack's Web API, the methods the app calls, with Slack's argument names, answers and errors.

`WebAPI.handle(method, params, token)` is plain Python; the HTTP layer only decodes the request
and sends the `Reply`, so the same object serves the page, and tests that inject faults
(`faults`) or read every call (`calls`)."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from workspace import block_rules
from workspace.blockkit import with_slack_ids
from workspace.calls import Call, CallLog
from workspace.faults import Faults, Reply
from workspace.oauth import Grant, Installs
from workspace.state import Channel, Message, Workspace

BOT_TOKEN = "xoxb-local-workspace-bot-token"
APP_TOKEN = "xapp-local-workspace-app-token"
# Arguments slack_sdk (or an app) may send as JSON strings, in form and JSON bodies alike.
JSON_ARGUMENTS = frozenset(
    {"blocks", "attachments", "view", "metadata", "user_auth_blocks", "unfurls", "message"}
)

Answer = dict[str, Any]
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # plenty for a chart; Slack's own limit is larger
MAX_ALT_TEXT = 1000  # Slack's limit for a file's alt text


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
    """`tokens`: the only tokens accepted (None: any xoxb- or xapp- token).
    `open_directory`: a workspace that answers for channels, messages and response_urls it
    never heard of as Slack answers for ones that exist (a public channel the app is in), so a
    test can talk to it without setting the workspace up first."""

    workspace: Workspace
    socket_url: Callable[[], str]
    tokens: frozenset[str] | None = frozenset({BOT_TOKEN, APP_TOKEN})
    open_directory: bool = False
    faults: Faults = field(default_factory=Faults)
    calls: CallLog | None = None  # every call with its token and arrival, when kept
    responders: dict[str, Responder] = field(default_factory=dict)
    # "Add to Slack": codes, and the workspace each installation's token speaks for.
    installs: Installs = field(default_factory=Installs)
    # Tokens revoked (the app removed from the workspace): refused as `token_revoked`.
    revoked: set[str] = field(default_factory=set)

    # --- calls ----------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any], token: str | None) -> Reply:
        """Slack's answer to one call, decided on its arrival, faults included; every call
        is in the developer's log (and in `calls`)."""
        channel = _channel_of(params)
        now = self.faults.clock()
        refused = self._refusal(method, token) or self._other_workspace(token, params)
        reply = Reply(200, refused) if refused else self.faults.before_answer(method, channel, now)
        if reply is None:
            answer = self._answer(method, params, token)
            reply = Reply(200, answer)
        params = {
            k: v for k, v in params.items() if k not in ("client_secret", "code", "refresh_token")
        }
        self.workspace.record("web_api", method, params, reply.payload or reply.outcome)
        if self.calls is not None:
            self.calls.record(Call(method, params, token, now, reply.outcome))
        return replace(reply, delay=self.faults.delay_for(method, channel))

    def revoke_bot_tokens(self) -> None:
        """The app was removed from the workspace: its bot token answers `token_revoked`."""
        known = self.tokens if self.tokens is not None else frozenset({BOT_TOKEN})
        self.revoked.update(t for t in known if t.startswith("xoxb-"))

    def call(self, method: str, params: dict[str, Any], token: str | None) -> Answer:
        """The answer's JSON (an injected 429 or 5xx included)."""
        payload = self.handle(method, params, token).payload
        return payload if isinstance(payload, dict) else {"ok": True}

    def _answer(self, method: str, params: dict[str, Any], token: str | None) -> Answer:
        grant = self.installs.grant_of(token)
        if method == "auth.test" and grant is not None:
            return self._auth_test_of(grant)
        handler = _METHODS.get(method)
        return handler(self, params) if handler else {"ok": False, "error": "unknown_method"}

    def _refusal(self, method: str, token: str | None) -> Answer | None:
        if method == "oauth.v2.access":
            return None  # the app's client id and secret, not a token
        if token in self.revoked:
            return {"ok": False, "error": "token_revoked"}
        grant = self.installs.grant_of(token)
        if grant is not None:
            return {"ok": False, "error": "token_expired"} if self.installs.expired(grant) else None
        if not token:
            return {"ok": False, "error": "not_authed"}
        if self.tokens is not None:
            known = token in self.tokens
        else:
            known = token.startswith(("xoxb-", "xapp-"))
        if not known:
            return {"ok": False, "error": "invalid_auth"}
        if (method == "apps.connections.open") != token.startswith("xapp-"):
            return {"ok": False, "error": "not_allowed_token_type"}
        return None

    def _other_workspace(self, token: str | None, params: dict[str, Any]) -> Answer | None:
        """Slack's answer to an installation's token used about another workspace's channel:
        to that token the channel does not exist. A channel this open directory never heard
        of becomes the token's workspace's."""
        grant = self.installs.grant_of(token)
        channel_id = str(params.get("channel") or params.get("channel_id") or "")
        if grant is None or not channel_id:
            return None
        channel = self.workspace.channels.get(channel_id)
        if channel is None:
            if self.open_directory and not grant.org_wide and not channel_id.startswith("U"):
                self.workspace.add_channel(
                    Channel(channel_id, channel_id.lower(), team_id=grant.team_id)
                )
            return None
        if channel.team_id and not self.installs.may_see(grant, channel.team_id):
            return {"ok": False, "error": "channel_not_found"}
        return None

    def _auth_test_of(self, grant: Grant) -> Answer:
        """auth.test with an installation's token: its workspace (or org) and its bot."""
        me = self.workspace.identity
        return {
            "ok": True,
            "url": f"https://{(grant.team_id or grant.enterprise_id).lower()}.slack.com/",
            "team": grant.team_name or grant.enterprise_name,
            "user": "progression",
            "team_id": grant.team_id or None,
            "enterprise_id": grant.enterprise_id or None,
            "user_id": grant.bot_user_id,
            "bot_id": grant.bot_id,
            "app_id": me.app_id,
            "is_enterprise_install": grant.org_wide,
        }

    def oauth_v2_access(self, params: dict[str, Any]) -> Answer:
        return self.installs.access(params)

    # --- response_url ---------------------------------------------------------------

    def new_response_url(self, base: str, responder: Responder) -> str:
        key = f"{len(self.responders) + 1:06d}"
        self.responders[key] = responder
        return f"{base}response/{key}"

    def handle_response(self, key: str, body: dict[str, Any]) -> Reply:
        """A POST to a response_url, faults included."""
        now = self.faults.clock()
        reply = self.faults.response_answer(key)
        if reply is None:
            answer = self.respond(key, body)
            reply = Reply(_response_status(answer), answer)
        else:
            self.workspace.record("response_url", f"response_url {key}", body, reply.payload)
        if self.calls is not None:
            self.calls.record(Call("response_url", body, None, now, reply.outcome, key))
        return reply

    def respond(self, key: str, body: dict[str, Any]) -> Answer:
        """A POST to a response_url: a private reply, a message, or a change to the original."""
        responder = self.responders.get(key)
        if responder is None:
            answer: Answer = {"ok": bool(self.open_directory)}
            if not self.open_directory:
                answer["error"] = "expired_url"
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
        refused = block_rules.refusal(body.get("blocks"))
        if refused:
            return refused
        if body.get("replace_original") and original and body.get("response_type") != "in_channel":
            ws.update(responder.channel, original, **_content(body))
            return {"ok": True}
        private = body.get("response_type", "ephemeral") != "in_channel"
        ws.post(
            Message(
                channel=responder.channel,
                ts=ws.next_ts(),
                user=ws.identity.bot_user_id,
                ephemeral_for=responder.user if private else "",
                **_content(body),
            )
        )
        return {"ok": True}

    # --- methods --------------------------------------------------------------------

    def auth_test(self, params: dict[str, Any]) -> Answer:
        me = self.workspace.identity
        return {
            "ok": True,
            "url": f"https://{me.team_domain}.slack.com/",
            "team": me.team_name,
            "user": "progression",
            "team_id": me.team_id,
            "user_id": me.bot_user_id,
            "bot_id": me.bot_id,
            "is_enterprise_install": False,
        }

    def connections_open(self, params: dict[str, Any]) -> Answer:
        return {"ok": True, "url": self.socket_url()}

    def post_message(self, params: dict[str, Any]) -> Answer:
        channel, refused = self._channel_for_post(params)
        if refused:
            return refused
        ws = self.workspace
        message = ws.post(
            Message(
                channel=channel,
                ts=ws.next_ts(),
                user=ws.identity.bot_user_id,
                thread_ts=str(params.get("thread_ts") or ""),  # a reply in that message's thread
                **_content(params),
            )
        )
        answer = message.as_slack(ws.identity)
        for key in ("metadata", "thread_ts"):  # echoed as Slack echoes them
            if key in params:
                answer[key] = params[key]
        return {"ok": True, "channel": channel, "ts": message.ts, "message": answer}

    def post_ephemeral(self, params: dict[str, Any]) -> Answer:
        channel, refused = self._channel_for_post(params)
        if refused:
            return refused
        user = str(params.get("user") or "")
        if not user or (user not in self.workspace.people and not self.open_directory):
            return {"ok": False, "error": "user_not_in_channel"}
        ws = self.workspace
        ts = ws.next_ts()
        ws.post(
            Message(
                channel=channel,
                ts=ts,
                user=ws.identity.bot_user_id,
                ephemeral_for=user,
                **_content(params),
            )
        )
        return {"ok": True, "message_ts": ts}

    def update(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        ws = self.workspace
        wrong = self._not_own_message(channel, ts, "cant_update_message", ephemeral_ok=False)
        if wrong:
            return wrong
        if not _has_content(params):
            return {"ok": False, "error": "no_text"}
        refused = block_rules.refusal(params.get("blocks"))
        if refused:
            return refused
        message = ws.update(channel, ts, **_content(params))
        if message is None:  # a message this open workspace never saw: as if it had
            message = Message(channel, ts, ws.identity.bot_user_id, **_content(params))
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": message.text,
            "message": message.as_slack(ws.identity),
        }

    def delete(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("ts") or "")
        wrong = self._not_own_message(channel, ts, "cant_delete_message", ephemeral_ok=True)
        if wrong:
            return wrong
        self.workspace.delete(channel, ts)
        return {"ok": True, "channel": channel, "ts": ts}

    def get_permalink(self, params: dict[str, Any]) -> Answer:
        channel, ts = str(params.get("channel") or ""), str(params.get("message_ts") or "")
        if self._channel(channel) is None:
            return {"ok": False, "error": "channel_not_found"}
        if not ts or (self.workspace.find(channel, ts) is None and not self.open_directory):
            return {"ok": False, "error": "message_not_found"}
        archive = f"https://{self.workspace.identity.team_domain}.slack.com/archives/{channel}"
        return {"ok": True, "channel": channel, "permalink": f"{archive}/p{ts.replace('.', '')}"}

    def users_info(self, params: dict[str, Any]) -> Answer:
        person = self.workspace.person(str(params.get("user") or ""))
        if person is None:
            return {"ok": False, "error": "user_not_found"}
        return {
            "ok": True,
            "user": {
                "id": person.id,
                "team_id": self.workspace.identity.team_id,
                "name": person.name.lower().replace(" ", "."),
                "real_name": person.name,
                "deleted": person.deleted,
                "tz": person.tz,
                "is_admin": person.is_admin,
                "is_owner": person.is_owner,
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
        channel = self._channel(str(params.get("channel") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        conversation = self._conversation(channel)
        if str(params.get("include_num_members", "")).lower() in ("true", "1"):
            members = set(self._members(channel.id))
            if channel.is_member:
                members.add(self.workspace.identity.bot_user_id)
            conversation["num_members"] = len(members)
        return {"ok": True, "channel": conversation}

    def files_get_upload_url_external(self, params: dict[str, Any]) -> Answer:
        """Step one of Slack's file upload: a file id, and where to send its bytes (a path
        here; the HTTP layer makes it a URL on its own address)."""
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except (TypeError, ValueError):
            length = 0
        if not filename or length <= 0:
            return {"ok": False, "error": "invalid_arguments"}
        if length > MAX_UPLOAD_BYTES:
            return {"ok": False, "error": "file_too_large"}
        alt_txt = str(params.get("alt_txt") or "")
        if len(alt_txt) > MAX_ALT_TEXT:
            return {"ok": False, "error": "invalid_arguments"}
        file = self.workspace.new_file(filename, length, alt_txt)
        return {"ok": True, "upload_url": f"/upload/{file.id}", "file_id": file.id}

    def files_complete_upload_external(self, params: dict[str, Any]) -> Answer:
        """Step three: the uploaded files, titled, shared in a channel (or a thread of it)."""
        try:
            items = params.get("files")
            items = json.loads(items) if isinstance(items, str) else items
            assert isinstance(items, list) and items
            wanted = [(str(i["id"]), str(i.get("title") or "")) for i in items]
        except (AssertionError, KeyError, TypeError, ValueError):
            return {"ok": False, "error": "invalid_arguments"}
        files = [self.workspace.files.get(file_id) for file_id, _ in wanted]
        if any(f is None or f.data is None for f in files):
            return {"ok": False, "error": "file_not_found"}  # no such id, or no bytes yet
        channel_id = str(params.get("channel_id") or "")
        if channel_id:
            channel = self._channel(channel_id)
            if channel is None:
                return {"ok": False, "error": "channel_not_found"}
            if not channel.is_member:
                return {"ok": False, "error": "not_in_channel"}
            if channel.is_archived:
                return {"ok": False, "error": "is_archived"}
        shared = self.workspace.share_files(
            [(file_id, title) for file_id, title in wanted],
            channel_id,
            str(params.get("initial_comment") or ""),
            str(params.get("thread_ts") or ""),
        )
        return {"ok": True, "files": [f.as_slack() for f in shared]}

    def conversations_open(self, params: dict[str, Any]) -> Answer:
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        if len(users) > 1:
            return {"ok": False, "error": "not_enough_users"}  # group DMs: not in this workspace
        if users[0] not in self.workspace.people and not self.open_directory:
            return {"ok": False, "error": "user_not_found"}
        channel = self.workspace.direct_channel(users[0])
        return {"ok": True, "channel": {"id": channel.id}}

    def conversations_members(self, params: dict[str, Any]) -> Answer:
        channel = self._channel(str(params.get("channel") or ""))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        members = self._members(channel.id)
        page, cursor, refused = _page(members, params)
        if refused:
            return refused
        return {"ok": True, "members": page, "response_metadata": {"next_cursor": cursor}}

    def users_conversations(self, params: dict[str, Any]) -> Answer:
        """The conversations a person is in that the app may see: public ones, and private
        ones the app is in too. Paged by `limit` and `cursor`, as Slack pages it."""
        ws = self.workspace
        user = str(params.get("user") or ws.identity.bot_user_id)
        if user not in ws.people and not self.open_directory:
            return {"ok": False, "error": "user_not_found"}
        types = set(str(params.get("types") or "public_channel").split(","))
        exclude_archived = str(params.get("exclude_archived", "false")).lower() in ("true", "1")
        found = []
        for channel_id in sorted(set(ws.channels) | set(ws.members)):
            channel = self._channel(channel_id)
            if channel is None or channel.is_im or user not in self._members(channel_id):
                continue
            kind = "private_channel" if channel.is_private else "public_channel"
            if kind not in types or (exclude_archived and channel.is_archived):
                continue
            found.append(self._conversation(channel))
        page, cursor, refused = _page(found, params)
        if refused:
            return refused
        return {"ok": True, "channels": page, "response_metadata": {"next_cursor": cursor}}

    def views_publish(self, params: dict[str, Any]) -> Answer:
        view, user = params.get("view"), str(params.get("user_id") or "")
        if not isinstance(view, dict) or view.get("type") != "home":
            return {"ok": False, "error": "invalid_arguments"}
        if user not in self.workspace.people and not self.open_directory:
            return {"ok": False, "error": "user_not_found"}
        refused = block_rules.refusal(view.get("blocks", []), view=True)
        if refused:
            return refused
        me = self.workspace.identity
        published = {
            "id": f"V{user}",
            "team_id": me.team_id,
            "type": "home",
            "blocks": with_slack_ids(view).get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "state": {"values": {}},
            "hash": self.workspace.next_ts(),
            "app_id": me.app_id,
            "bot_id": me.bot_id,
        }
        self.workspace.publish_view(user, published)
        return {"ok": True, "view": published}

    # --- the directory --------------------------------------------------------------

    def _not_own_message(
        self, channel: str, ts: str, not_ours: str, *, ephemeral_ok: bool
    ) -> Answer | None:
        """Slack's refusal when `ts` in `channel` is not a message the bot may change."""
        if self._channel(channel) is None:
            return {"ok": False, "error": "channel_not_found"}
        found = self.workspace.find(channel, ts)
        if not ts or (found is None and not self.open_directory):
            return {"ok": False, "error": "message_not_found"}
        if found is not None and found.ephemeral_for and not ephemeral_ok:
            return {"ok": False, "error": "message_not_found"}
        if found is not None and found.user != self.workspace.identity.bot_user_id:
            return {"ok": False, "error": not_ours}
        return None

    def _channel(self, channel_id: str) -> Channel | None:
        """A channel the app may see; in an open directory any channel is one it is in."""
        channel = self.workspace.channels.get(channel_id)
        if channel is None and self.open_directory and channel_id:
            channel = Channel(channel_id, channel_id.lower())
            self.workspace.add_channel(channel)
        if channel is not None and channel.is_private and not channel.is_member:
            return None  # to the app a private channel it is not in does not exist
        return channel

    def _members(self, channel_id: str) -> list[str]:
        """Who is in a channel: as set, else everyone; an open directory knows only those set."""
        if self.open_directory and channel_id not in self.workspace.members:
            return []
        return self.workspace.members_of(channel_id)

    def _channel_for_post(self, params: dict[str, Any]) -> tuple[str, Answer | None]:
        channel_id = str(params.get("channel") or "")
        if channel_id.startswith("U") and channel_id in self.workspace.people:
            channel_id = self.workspace.direct_channel(channel_id).id  # a user ID posts to a DM
        channel = self._channel(channel_id)
        if channel is None:
            return channel_id, {"ok": False, "error": "channel_not_found"}
        if channel.is_archived:
            return channel_id, {"ok": False, "error": "is_archived"}
        if not _has_content(params):
            return channel_id, {"ok": False, "error": "no_text"}
        return channel_id, block_rules.refusal(params.get("blocks"))

    def _conversation(self, channel: Channel) -> dict[str, Any]:
        return {
            "id": channel.id,
            "name": channel.name,
            "is_channel": not channel.is_im and not channel.is_private,
            "is_group": channel.is_private,
            "is_im": channel.is_im,
            "is_private": channel.is_private or channel.is_im,
            "is_member": channel.is_member,
            "is_archived": channel.is_archived,
            "is_general": channel.name == "general",
            "is_shared": False,
            "is_ext_shared": False,
            "context_team_id": self.workspace.identity.team_id,
        }


_METHODS: dict[str, Callable[[WebAPI, dict[str, Any]], Answer]] = {
    "auth.test": WebAPI.auth_test,
    "oauth.v2.access": WebAPI.oauth_v2_access,
    "apps.connections.open": WebAPI.connections_open,
    "chat.postMessage": WebAPI.post_message,
    "chat.postEphemeral": WebAPI.post_ephemeral,
    "chat.update": WebAPI.update,
    "chat.delete": WebAPI.delete,
    "chat.getPermalink": WebAPI.get_permalink,
    "users.info": WebAPI.users_info,
    "users.conversations": WebAPI.users_conversations,
    "conversations.info": WebAPI.conversations_info,
    "conversations.open": WebAPI.conversations_open,
    "conversations.members": WebAPI.conversations_members,
    "views.publish": WebAPI.views_publish,
    "files.getUploadURLExternal": WebAPI.files_get_upload_url_external,
    "files.completeUploadExternal": WebAPI.files_complete_upload_external,
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


def _response_status(answer: Answer) -> int:
    """A response_url's HTTP status: 404 for an unknown url, 400 for what it refuses."""
    if answer.get("ok"):
        return 200
    return 404 if answer.get("error") == "expired_url" else 400


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


def _channel_of(params: dict[str, Any]) -> str | None:
    channel = params.get("channel")
    return str(channel) if channel is not None else None


def _page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], str, Answer | None]:
    """One page of a listing by Slack's `limit` and `cursor`: the page, the next cursor."""
    try:
        limit = max(1, min(1000, int(params.get("limit") or 100)))
        start = int(params.get("cursor") or 0)
    except ValueError:
        return [], "", {"ok": False, "error": "invalid_cursor"}
    more = start + limit < len(items)
    return items[start : start + limit], str(start + limit) if more else "", None
