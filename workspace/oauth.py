"""Slack's side of "Add to Slack": the codes its authorize page hands out when someone allows
the app, `oauth.v2.access` trading a code (once) for a workspace's bot token, and which
workspace each token speaks for, so that a token used about another workspace's channel is
refused as Slack refuses it (`channel_not_found`).

An org-wide install (Enterprise Grid) has no team: its token speaks for every workspace of
its org."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

Answer = dict[str, Any]


@dataclass(frozen=True)
class Grant:
    """One installation: a workspace's, or an org's (`team_id` empty, `org_wide`)."""

    team_id: str
    team_name: str
    enterprise_id: str = ""
    enterprise_name: str = ""
    installer: str = "UINSTALLER"
    scopes: str = ""
    bot_user_id: str = ""
    bot_id: str = ""
    token: str = ""

    @property
    def org_wide(self) -> bool:
        return not self.team_id


@dataclass
class Installs:
    """The app's client credentials, the codes not yet traded, and the tokens handed out."""

    client_id: str = ""
    client_secret: str = ""
    app_id: str = "A0APP"
    codes: dict[str, Grant] = field(default_factory=dict)
    tokens: dict[str, Grant] = field(default_factory=dict)
    # team id -> its org, for the workspaces of an org-wide install
    orgs: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allow(
        self,
        team_id: str = "",
        team_name: str = "",
        *,
        enterprise_id: str = "",
        enterprise_name: str = "",
        org_teams: tuple[str, ...] = (),
        scopes: str = "",
        installer: str = "UINSTALLER",
    ) -> str:
        """Someone allowed the app on Slack's page: the code the redirect carries. With no
        `team_id`, an org-wide install of `enterprise_id`, whose workspaces are `org_teams`."""
        key = team_id or enterprise_id
        grant = Grant(
            team_id=team_id,
            team_name=team_name,
            enterprise_id=enterprise_id,
            enterprise_name=enterprise_name,
            installer=installer,
            scopes=scopes,
            bot_user_id=f"U0BOT{key}",
            bot_id=f"B0BOT{key}",
        )
        code = f"code-{secrets.token_hex(8)}"
        with self._lock:
            self.codes[code] = grant
            self.orgs.update(dict.fromkeys(org_teams, enterprise_id))
        return code

    def access(self, params: dict[str, Any]) -> Answer:
        """`oauth.v2.access` with a code: Slack's answer, the code used up either way."""
        if not self.client_id or params.get("client_id") != self.client_id:
            return {"ok": False, "error": "invalid_client_id"}
        if params.get("client_secret") != self.client_secret:
            return {"ok": False, "error": "bad_client_secret"}
        with self._lock:
            grant = self.codes.pop(str(params.get("code") or ""), None)
            if grant is None:
                return {"ok": False, "error": "invalid_code"}
            token = f"xoxb-{grant.team_id or grant.enterprise_id}-{secrets.token_hex(8)}"
            grant = Grant(**{**grant.__dict__, "token": token})
            self.tokens[token] = grant
        return _access_answer(grant, self.app_id)

    def grant_of(self, token: str | None) -> Grant | None:
        with self._lock:
            return self.tokens.get(token or "")

    def may_see(self, grant: Grant, team_id: str) -> bool:
        """Whether the installation speaks for the workspace `team_id`."""
        if grant.org_wide:
            with self._lock:
                return self.orgs.get(team_id) == grant.enterprise_id
        return team_id == grant.team_id

    def clear(self) -> None:
        with self._lock:
            self.codes.clear()
            self.tokens.clear()
            self.orgs.clear()
            self.client_id = self.client_secret = ""


def _access_answer(grant: Grant, app_id: str) -> Answer:
    enterprise = (
        {"id": grant.enterprise_id, "name": grant.enterprise_name} if grant.enterprise_id else None
    )
    return {
        "ok": True,
        "access_token": grant.token,
        "token_type": "bot",
        "scope": grant.scopes,
        "bot_user_id": grant.bot_user_id,
        "app_id": app_id,
        "team": None if grant.org_wide else {"id": grant.team_id, "name": grant.team_name},
        "enterprise": enterprise,
        "is_enterprise_install": grant.org_wide,
        "authed_user": {"id": grant.installer},
    }
