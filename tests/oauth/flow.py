"""A person installing the app with "Add to Slack", over HTTP, as a browser does: the install
page, Slack's authorize page (the stand-in hands out the code), and the redirect back."""

from __future__ import annotations

import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.conftest import SIGNING_SECRET, RunningApp, start_http_app
from tests.slack.web_api import SlackWebAPI

CLIENT_ID = "1234.5678"
CLIENT_SECRET = "test-client-secret-never-logged"


@dataclass
class Page:
    status: int
    body: str
    cookie: str = ""  # the OAuth state cookie the page set, as a Cookie header


@dataclass
class Started:
    """An install page's answer: its "Add to Slack" link, and the browser's cookie."""

    authorize_url: str
    state: str
    cookie: str

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.authorize_url).query)


def multi_workspace_env(api: SlackWebAPI, db: Path | str) -> dict[str, str]:
    """The environment of `serve --http` in multi-workspace mode, pointed at the stand-in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "PROGRESSION_"))}
    env.update(
        SLACK_CLIENT_ID=CLIENT_ID,
        SLACK_CLIENT_SECRET=CLIENT_SECRET,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=api.url,
        PROGRESSION_DB=str(db),
        PYTHONUNBUFFERED="1",
    )
    api.installs.client_id, api.installs.client_secret = CLIENT_ID, CLIENT_SECRET
    return env


def start_multi_workspace_app(
    api: SlackWebAPI, workdir: Path, *extra: str, db: str | None = None
) -> RunningApp:
    """`serve --http` in multi-workspace mode on `db` (a SQLite file in `workdir` by default)."""
    env = multi_workspace_env(api, db or workdir / "progression.db")
    return start_http_app(env, workdir, extra=extra)


def get(url: str, cookie: str = "") -> Page:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return Page(answer.status, answer.read().decode(), _state_cookie(answer.headers))
    except urllib.error.HTTPError as error:
        return Page(error.code, error.read().decode(), _state_cookie(error.headers))


def start_install(app: RunningApp) -> Started:
    page = get(app.url + "/slack/install")
    assert page.status == 200, page
    link = re.search(r'<a class="button" href="([^"]+)">Add to Slack</a>', page.body)
    assert link is not None, page.body
    url = link.group(1).replace("&amp;", "&")
    state = parse_qs(urlsplit(url).query)["state"][0]
    return Started(url, state, page.cookie)


def redirect(app: RunningApp, cookie: str, **query: str) -> Page:
    """The browser's return from Slack's authorize page to the app's redirect URL."""
    return get(f"{app.url}/slack/oauth_redirect?{urlencode(query)}", cookie)


def install(
    app: RunningApp, api: SlackWebAPI, team_id: str = "", team_name: str = "", **grant: object
) -> Page:
    """The whole of "Add to Slack" for one workspace (or org): install page, allow, redirect."""
    started = start_install(app)
    code = api.installs.allow(team_id, team_name, **grant)  # type: ignore[arg-type]
    return redirect(app, started.cookie, code=code, state=started.state)


def _state_cookie(headers: object) -> str:
    cookies = SimpleCookie()
    for value in getattr(headers, "get_all", lambda _n: None)("Set-Cookie") or []:
        cookies.load(value)
    morsel = cookies.get("slack-app-oauth-state")
    return f"slack-app-oauth-state={morsel.value}" if morsel is not None else ""
