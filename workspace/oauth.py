"""Slack's side of "Add to Slack": the codes its authorize page hands out when someone allows
the app, `oauth.v2.access` trading a code (once) for a workspace's bot token, and which
workspace each token speaks for, so that a token used about another workspace's channel is
refused as Slack refuses it (`channel_not_found`).

An org-wide install (Enterprise Grid) has no team: its token speaks for every workspace of
its org.

With token rotation on (`rotate_every`, seconds), `oauth.v2.access` also answers a refresh
token and `expires_in`; a token past its expiry is refused (`token_expired`), and the refresh
token, single-use, trades for a new token and a new refresh token (`grant_type=refresh_token`).
`revoke_refresh` makes one workspace's refresh token refused (`invalid_refresh_token`)."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
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
    refresh_token: str = ""
    expires_at: float | None = None  # wall clock; None: the token does not expire

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
    # Token rotation: each token lives this many seconds (None: tokens never expire).
    rotate_every: float | None = None
    refreshes: dict[str, Grant] = field(default_factory=dict)  # refresh token -> its grant
    wall: Callable[[], float] = time.time
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
            if params.get("grant_type") == "refresh_token":
                grant = self.refreshes.pop(str(params.get("refresh_token") or ""), None)
                if grant is None:
                    return {"ok": False, "error": "invalid_refresh_token"}
            else:
                grant = self.codes.pop(str(params.get("code") or ""), None)
                if grant is None:
                    return {"ok": False, "error": "invalid_code"}
            grant = self._new_token(grant)
        return _access_answer(grant, self.app_id, self.rotate_every)

    def _new_token(self, grant: Grant) -> Grant:
        key = grant.team_id or grant.enterprise_id
        token = f"xoxb-{key}-{secrets.token_hex(8)}"
        refresh, expires_at = "", None
        if self.rotate_every is not None:
            refresh = f"xoxe-1-{key}-{secrets.token_hex(8)}"
            expires_at = self.wall() + self.rotate_every
        grant = Grant(
            **{**grant.__dict__, "token": token, "refresh_token": refresh, "expires_at": expires_at}
        )
        self.tokens[token] = grant
        if refresh:
            self.refreshes[refresh] = grant
        return grant

    def revoke_refresh(self, team_id: str) -> None:
        """The workspace's refresh token is refused from now on (revoked)."""
        with self._lock:
            for refresh, grant in list(self.refreshes.items()):
                if (grant.team_id or grant.enterprise_id) == team_id:
                    del self.refreshes[refresh]

    def grant_of(self, token: str | None) -> Grant | None:
        with self._lock:
            return self.tokens.get(token or "")

    def expired(self, grant: Grant) -> bool:
        return grant.expires_at is not None and self.wall() >= grant.expires_at

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
            self.refreshes.clear()
            self.rotate_every = None
            self.client_id = self.client_secret = ""


def _access_answer(grant: Grant, app_id: str, rotate_every: float | None = None) -> Answer:
    enterprise = (
        {"id": grant.enterprise_id, "name": grant.enterprise_name} if grant.enterprise_id else None
    )
    rotation = (
        {"refresh_token": grant.refresh_token, "expires_in": int(rotate_every)}
        if rotate_every is not None
        else {}
    )
    return {
        **rotation,
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
