"""Multi-workspace mode's installations and OAuth states, in the store on either database,
behind slack_sdk's `InstallationStore` and `OAuthStateStore` interfaces (Bolt's OAuth flow and
its authorize use them), so that every worker and host sees the same ones.

An installation is one row per (enterprise, workspace): a workspace's own, or on Enterprise
Grid an org-wide one, kept with an empty team id whatever team id came with it (an org-wide
install saved under a team id is not found for the org's other workspaces: slack_sdk issue
1639). Only the bot's token is kept: the app asks for no user scopes, and an installation that
carries a user token alone never replaces the bot's (the SQLAlchemy store's "latest row"
found a user-only row before the bot's: slack_sdk issue 1441).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore
from slack_sdk.oauth.state_store import OAuthStateStore

from store.backend import Session
from store.base import StoreBase
from store.outbox import enqueue

logger = logging.getLogger("progression_bot")

# A state lives as long as Slack's authorize page takes a person, and no longer.
STATE_EXPIRES_SECONDS = 600.0
_COLUMNS = (
    "enterprise_id, team_id, is_enterprise_install, app_id, enterprise_name, enterprise_url, "
    "team_name, bot_token, bot_id, bot_user_id, bot_scopes, bot_refresh_token, "
    "bot_token_expires_at, installer_user_id, installed_at"
)


class WorkspaceNotInstalled(LookupError):
    """Multi-workspace mode: work for a workspace the app has no installation for (any more)."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"no installation for workspace {team_id}")
        self.team_id = team_id


class InstallationRows(StoreBase):
    """Mixed into `Store`: the named operations under the two interfaces."""

    def save_installation_row(self, row: dict[str, Any]) -> None:
        """Insert or replace the installation of (row's enterprise, row's team). A token that
        expires (token rotation) asks the runner, in the same transaction, to refresh it in
        time ("rotate" work: bot/background/rotation.py)."""
        names = _COLUMNS.split(", ")
        updates = ", ".join(f"{n} = excluded.{n}" for n in names[2:])
        sql = (
            f"insert into installations ({_COLUMNS}) values ({', '.join('?' * len(names))}) "
            f"on conflict (enterprise_id, team_id) do update set {updates}"
        )
        key = str(row.get("team_id") or row.get("enterprise_id") or "")

        def save(db: Session) -> None:
            db.execute(sql, [row.get(n) for n in names])
            if row.get("bot_refresh_token") and row.get("bot_token_expires_at") is not None:
                enqueue(db, "rotate", key, str(row.get("enterprise_id") or ""), time.time())

        self._grouped(save)

    def installation_row(self, enterprise_id: str, team_id: str) -> dict[str, Any] | None:
        """The installation of exactly this key ('' for none)."""
        return self._one(
            f"select {_COLUMNS} from installations where enterprise_id = ? and team_id = ?",
            [enterprise_id, team_id],
        )

    def workspace_installation_row(self, team_id: str) -> dict[str, Any] | None:
        """The installation whose token a workspace's work uses: its own, else its org's."""
        with self._backend.session() as db:
            own = db.one(
                f"select {_COLUMNS} from installations where team_id = ? "
                "order by installed_at desc",
                [team_id],
            )
            if own is not None:
                return own
            return db.one(
                f"select {_COLUMNS} from installations i where i.team_id = '' and "
                "i.enterprise_id = (select enterprise_id from enterprise_teams where team_id = ?)",
                [team_id],
            )

    def remember_enterprise_team(self, enterprise_id: str, team_id: str) -> None:
        """Note that a workspace is in an org (written once; read before writing)."""
        known = self._value(
            "select enterprise_id from enterprise_teams where team_id = ?", [team_id]
        )
        if known != enterprise_id:
            self._write(
                "insert into enterprise_teams (team_id, enterprise_id) values (?, ?) "
                "on conflict (team_id) do update set enterprise_id = excluded.enterprise_id",
                [team_id, enterprise_id],
            )

    def installed_teams(self) -> list[str]:
        """Every workspace with an installation of its own, or in an org installed org-wide."""
        rows = self._rows(
            "select team_id from installations where team_id <> '' union "
            "select t.team_id from enterprise_teams t join installations i "
            "on i.enterprise_id = t.enterprise_id and i.team_id = '' order by 1"
        )
        return [str(r["team_id"]) for r in rows]

    def delete_installation_row(self, enterprise_id: str, team_id: str) -> int:
        return self._write(
            "delete from installations where enterprise_id = ? and team_id = ?",
            [enterprise_id, team_id],
        )

    def issue_oauth_state(self, state: str, expires_at: float, now: float) -> None:
        """Keep a new state until `expires_at`; those already expired go."""
        self._grouped(lambda db: _issue(db, state, expires_at, now))

    def consume_oauth_state(self, state: str, now: float) -> bool:
        """Whether `state` was issued and had not expired; it is gone either way."""
        return (
            self._write("delete from oauth_states where state = ? and expires_at > ?", [state, now])
            == 1
        )


def _issue(db: Session, state: str, expires_at: float, now: float) -> None:
    db.execute("delete from oauth_states where expires_at <= ?", [now])
    db.execute("insert into oauth_states (state, expires_at) values (?, ?)", [state, expires_at])


class StoredInstallations(InstallationStore):
    """slack_sdk's `InstallationStore` over the store.

    `hand_out_refresh_tokens=False` (web workers): a bot is found without its refresh token,
    so Bolt's authorize never refreshes a token there; only the runner refreshes (refresh
    tokens are single-use: two processes refreshing at once would lose one)."""

    def __init__(
        self,
        rows: InstallationRows,
        *,
        hand_out_refresh_tokens: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rows = rows
        self._refresh = hand_out_refresh_tokens
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    def save(self, installation: Installation) -> None:
        if not installation.bot_token:
            return  # a user token alone: the app keeps none, and it must not hide the bot's
        self.save_bot(installation.to_bot(), installer=installation.user_id)

    def save_bot(self, bot: Bot, installer: str | None = None) -> None:
        org_wide = bool(bot.is_enterprise_install)
        before = self._rows.installation_row(
            bot.enterprise_id or "", "" if org_wide else bot.team_id or ""
        )
        self._rows.save_installation_row(
            {
                "enterprise_id": bot.enterprise_id or "",
                "team_id": "" if org_wide else bot.team_id or "",
                "is_enterprise_install": int(org_wide),
                "app_id": bot.app_id,
                "enterprise_name": bot.enterprise_name,
                "enterprise_url": getattr(bot, "enterprise_url", None),
                "team_name": None if org_wide else bot.team_name,
                "bot_token": bot.bot_token,
                "bot_id": bot.bot_id,
                "bot_user_id": bot.bot_user_id,
                "bot_scopes": ",".join(bot.bot_scopes),
                "bot_refresh_token": bot.bot_refresh_token,
                "bot_token_expires_at": bot.bot_token_expires_at,
                "installer_user_id": installer or (before or {}).get("installer_user_id"),
                "installed_at": _epoch(bot.installed_at) or self._clock(),
            }
        )

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        row = self._find(enterprise_id, team_id, is_enterprise_install)
        return None if row is None else self._bot(row)

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        row = self._find(enterprise_id, team_id, is_enterprise_install)
        if row is None or (user_id is not None and user_id != row["installer_user_id"]):
            return None  # no user's own installation is kept
        bot = self._bot(row)
        return Installation(
            app_id=bot.app_id,
            enterprise_id=bot.enterprise_id,
            enterprise_name=bot.enterprise_name,
            team_id=bot.team_id,
            team_name=bot.team_name,
            bot_token=bot.bot_token,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_scopes=bot.bot_scopes,
            bot_refresh_token=bot.bot_refresh_token,
            bot_token_expires_at=bot.bot_token_expires_at,
            user_id=row["installer_user_id"] or "",
            is_enterprise_install=bot.is_enterprise_install,
            installed_at=bot.installed_at,
        )

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._rows.delete_installation_row(enterprise_id or "", team_id or "")

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:  # a user's own installation is never kept: nothing to delete
            self._rows.delete_installation_row(enterprise_id or "", team_id or "")

    def _find(
        self, enterprise_id: str | None, team_id: str | None, org_wide: bool | None
    ) -> dict[str, Any] | None:
        """A workspace's own installation, else its org's org-wide one (which also answers
        when the request says it is org-wide, or names no workspace)."""
        enterprise = enterprise_id or ""
        if team_id and not org_wide:
            own = self._rows.installation_row(enterprise, team_id)
            if own is not None or not enterprise:
                return own
        if not enterprise:
            return None
        found = self._rows.installation_row(enterprise, "")
        if found is not None and team_id:
            self._rows.remember_enterprise_team(enterprise, team_id)
        return found

    def _bot(self, row: dict[str, Any]) -> Bot:
        expires = row["bot_token_expires_at"]
        return Bot(
            app_id=row["app_id"],
            enterprise_id=row["enterprise_id"] or None,
            enterprise_name=row["enterprise_name"],
            team_id=row["team_id"] or None,
            team_name=row["team_name"],
            bot_token=row["bot_token"],
            bot_id=row["bot_id"] or "",
            bot_user_id=row["bot_user_id"] or "",
            bot_scopes=row["bot_scopes"] or "",
            bot_refresh_token=row["bot_refresh_token"] if self._refresh else None,
            bot_token_expires_at=int(expires) if expires is not None else None,
            is_enterprise_install=bool(row["is_enterprise_install"]),
            installed_at=float(row["installed_at"]),
        )


class StoredOAuthStates(OAuthStateStore):
    """slack_sdk's `OAuthStateStore` over the store: a state issued by one worker is accepted
    by any other, once, within `expires_in` seconds of `clock`."""

    def __init__(
        self,
        rows: InstallationRows,
        *,
        expires_in: float = STATE_EXPIRES_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rows = rows
        self._expires_in = expires_in
        self._clock = clock

    @property
    def logger(self) -> logging.Logger:
        return logger

    def issue(self, *args: Any, **kwargs: Any) -> str:
        state = secrets.token_urlsafe(24)
        now = self._clock()
        self._rows.issue_oauth_state(state, now + self._expires_in, now)
        return state

    def consume(self, state: str) -> bool:
        return bool(state) and self._rows.consume_oauth_state(state, self._clock())


def _epoch(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
