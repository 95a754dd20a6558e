"""Every operator mistake ends in one line on stderr that names the setting or the path and what
to do, with a non-zero exit and no traceback: each case is `progression-bot` in its own process.

Permissions do not stop root: when the suite runs as root, the commands that meet a permission
run without root's power over them (`run_cli(unprivileged=True)`).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from store import Store
from tests.conftest import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    RunningApp,
    app_env,
    free_port,
    run_cli,
)
from tests.postgres import fresh_database
from tests.scheduler import subscribe
from tests.slack.web_api import SlackWebAPI

# Nothing listens on the discard port: Slack is never reached in the database cases.
NO_SLACK = "http://127.0.0.1:9/api/"


@dataclass
class Place:
    """A folder the operator may use, and the environment of a command run in it."""

    root: Path

    def env(self, **settings: str) -> dict[str, str]:
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.root),
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": NO_SLACK,
        }
        env.update(settings)
        return {k: v for k, v in env.items() if v is not None}

    def database(self, name: str = "progression.db") -> Path:
        """A real, migrated, empty progression database the operator can read and write."""
        path = self.root / name
        Store(path).close()
        return path

    def folder(self, name: str, mode: int = 0o777) -> Path:
        path = self.root / name
        path.mkdir()
        path.chmod(mode)
        return path


@pytest.fixture
def place(tmp_path: Path) -> Iterator[Place]:
    yield Place(tmp_path)
    for folder in tmp_path.rglob("*"):
        if folder.is_dir() and not folder.is_symlink():
            folder.chmod(0o755)  # so that a runner that is not root can remove what it locked


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The single line the command printed on stderr, once it failed without a traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr + (result.stdout or ""), result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# --- PROGRESSION_DB --------------------------------------------------------------------------


def _missing_folder(place: Place) -> tuple[str | None, Path]:
    return str(place.root / "nowhere" / "progression.db"), place.root


def _a_folder(place: Place) -> tuple[str | None, Path]:
    return str(place.folder("data")), place.root


def _a_text_file(place: Place) -> tuple[str | None, Path]:
    notes = place.root / "notes.txt"
    notes.write_text("phase 3 went well\n")
    return str(notes), place.root


def _dev_null(place: Place) -> tuple[str | None, Path]:
    return "/dev/null", place.root


def _another_apps_database(place: Place) -> tuple[str | None, Path]:
    photos = place.root / "photos.db"
    with sqlite3.connect(photos) as connection:
        connection.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, caption TEXT)")
    connection.close()
    return str(photos), place.root


def _read_only(place: Place) -> tuple[str | None, Path]:
    database = place.database()
    database.chmod(0o444)
    return str(database), place.root


def _default_in_an_unwritable_folder(place: Place) -> tuple[str | None, Path]:
    return None, place.folder("locked", 0o555)


DATABASE_MISTAKES: dict[str, tuple[Callable[[Place], tuple[str | None, Path]], str]] = {
    "a missing folder": (_missing_folder, "does not exist"),
    "a folder": (_a_folder, "is a folder"),
    "a text file": (_a_text_file, "is not a SQLite database"),
    "/dev/null": (_dev_null, "is not a regular file"),
    "another application's SQLite file": (_another_apps_database, "another application's"),
    "read-only for the user": (_read_only, "read-only for this user"),
    "the default, in a folder the user cannot write": (
        _default_in_an_unwritable_folder,
        "this user cannot write in",
    ),
}

COMMANDS = {
    "serve --http": ["serve", "--http", "--host", "127.0.0.1", "--port", "0"],
    "export": ["export"],
    "nudge --dry-run": ["nudge", "--dry-run"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("mistake", DATABASE_MISTAKES)
def test_a_database_path_that_cannot_work_is_one_line(
    place: Place, mistake: str, command: str
) -> None:
    make, says = DATABASE_MISTAKES[mistake]
    database, cwd = make(place)
    env = place.env() if database is None else place.env(PROGRESSION_DB=database)
    before = sorted(cwd.rglob("*"))
    result = run_cli(*COMMANDS[command], env=env, cwd=cwd, unprivileged=True)
    line = one_line(result)
    shown = database or "progression.db"
    assert line.startswith(f"progression-bot: PROGRESSION_DB={shown}"), line
    if database is None and command != "serve --http":
        says = "does not exist"  # a command that only reads is told there is nothing there
    assert says in line
    assert "Serving" not in result.stderr + result.stdout
    assert sorted(cwd.rglob("*")) == before  # nothing created, not even an empty database


@pytest.mark.parametrize("command", ["export", "nudge --dry-run"])
def test_a_read_only_command_on_no_database_says_so_and_creates_nothing(
    place: Place, command: str
) -> None:
    result = run_cli(*COMMANDS[command], env=place.env(), cwd=place.root)
    line = one_line(result)
    assert f"PROGRESSION_DB=progression.db ({place.root / 'progression.db'})" in line
    assert "does not exist" in line and "progression-bot serve" in line
    assert list(place.root.iterdir()) == []


def test_export_reads_the_database_that_serve_created(place: Place) -> None:
    database = place.database()
    result = run_cli("export", env=place.env(PROGRESSION_DB=str(database)), cwd=place.root)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "team,channel,campus,role,move,user,checked_at\n"


def _tables_of(url: str) -> list[str]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        rows = connection.execute(
            "select table_name from information_schema.tables where table_schema = current_schema()"
        ).fetchall()
    return sorted(str(row[0]) for row in rows)


@pytest.mark.parametrize(
    "command", ["export", "nudge --dry-run", "copy-db FROM"], ids=lambda c: c.split()[0]
)
def test_a_read_only_command_on_a_postgresql_database_without_the_app_says_so(
    place: Place, command: str
) -> None:
    with fresh_database() as url:
        args = (
            ["copy-db", url, str(place.root / "copy.db")]
            if command == "copy-db FROM"
            else COMMANDS[command]
        )
        line = one_line(run_cli(*args, env=place.env(PROGRESSION_DB=url), cwd=place.root))
        named = f"FROM {url}" if command == "copy-db FROM" else f"PROGRESSION_DB={url}"
        assert line.startswith(f"progression-bot: {named}: "), line
        assert "there is no progression-bot database there" in line
        assert "progression-bot serve" in line
        assert _tables_of(url) == [], "nothing created, not even the migrations' table"
    assert list(place.root.iterdir()) == []


@pytest.mark.parametrize("command", ["export", "nudge --dry-run", "serve --http"])
def test_sqlite_with_two_slashes_is_told_to_use_three(place: Place, command: str) -> None:
    env = place.env(PROGRESSION_DB="sqlite://progression.db")
    line = one_line(run_cli(*COMMANDS[command], env=env, cwd=place.root))
    assert line == (
        "progression-bot: PROGRESSION_DB is 'sqlite://progression.db': a SQLite URL has three "
        "slashes, sqlite:///progression.db, or write the path alone, progression.db"
    )
    assert list(place.root.iterdir()) == []


def _postgres_where_nothing_listens(place: Place) -> str:
    return f"postgresql://progression@127.0.0.1:{free_port()}/progression"


def _sqlite_two_slashes(place: Place) -> str:
    return "sqlite://progression.db"


def _a_folder_by_url(place: Place) -> str:
    return f"sqlite:///{place.folder('data')}"


@pytest.mark.parametrize(
    "command", [["serve", "--http"], ["serve"], ["runner"]], ids=["HTTP", "Socket Mode", "runner"]
)
@pytest.mark.parametrize(
    ("database", "says"),
    [
        (_postgres_where_nothing_listens, "cannot connect to PostgreSQL"),
        (_sqlite_two_slashes, "a SQLite URL has three slashes"),
        (_a_folder_by_url, "is a folder"),
    ],
    ids=["PostgreSQL not there", "sqlite://", "a folder as sqlite:///"],
)
def test_serve_offline_names_the_database_mistake_not_slack(
    place: Place, command: list[str], database: Callable[[Place], str], says: str
) -> None:
    """Slack cannot be reached (NO_SLACK): the database is checked first, so its mistake shows."""
    env = place.env(PROGRESSION_DB=database(place), SLACK_APP_TOKEN=APP_TOKEN)
    line = one_line(run_cli(*command, env=env, cwd=place.root))
    assert line.startswith("progression-bot: PROGRESSION_DB"), line
    assert says in line and "Slack" not in line


# --- Files the CLI writes ---------------------------------------------------------------------

SOURCES = [
    str(p) for p in sorted((Path(__file__).parents[2] / "progression" / "sources").glob("*"))
]


def _out_in_missing_folder(place: Place) -> Path:
    return place.root / "nowhere" / "out"


def _out_onto_a_folder(place: Place) -> Path:
    return place.folder("reports")


def _out_in_unwritable_folder(place: Place) -> Path:
    return place.folder("locked", 0o555) / "out"


def _out_onto_a_fifo(place: Place) -> Path:
    fifo = place.root / "pipe"
    os.mkfifo(fifo)
    return fifo


OUT_MISTAKES: dict[str, tuple[Callable[[Place], Path], str]] = {
    "a missing folder": (_out_in_missing_folder, "does not exist"),
    "a folder": (_out_onto_a_folder, "is a folder"),
    "an unwritable folder": (_out_in_unwritable_folder, "this user cannot write in"),
}


@pytest.mark.parametrize("command", ["import", "export"])
@pytest.mark.parametrize("mistake", OUT_MISTAKES)
def test_an_out_file_that_cannot_be_written_is_one_line(
    place: Place, mistake: str, command: str
) -> None:
    make, says = OUT_MISTAKES[mistake]
    out = make(place)
    args = ["import", *SOURCES] if command == "import" else ["export"]
    env = place.env(PROGRESSION_DB=str(place.database()))
    result = run_cli(*args, "--out", str(out), env=env, cwd=place.root, unprivileged=True)
    line = one_line(result)
    assert line.startswith(f"progression-bot: --out {out}: ") and says in line


def test_import_never_replaces_what_is_not_a_file(place: Place) -> None:
    fifo = _out_onto_a_fifo(place)
    line = one_line(run_cli("import", *SOURCES, "--out", str(fifo), env=place.env()))
    assert "is not a regular file" in line
    assert not fifo.is_file()


@pytest.mark.parametrize("args", [["export"], ["show", "3"], ["search", "rostering"]], ids=" ".join)
def test_a_full_disk_on_standard_output_is_one_line(place: Place, args: list[str]) -> None:
    env = place.env(PROGRESSION_DB=str(place.database()))
    with open("/dev/full", "w") as full:
        result = run_cli(*args, env=env, cwd=place.root, stdout=full)
    line = one_line(result)
    assert "standard output could not be written (No space left on device)" in line


# --- --team -----------------------------------------------------------------------------------

TEAM_COMMANDS = {
    "export": ["export"],
    "export --out": ["export", "--out", "checkoffs.csv"],
    "nudge": ["nudge", "--week", "2026-W10"],
    "nudge --dry-run": ["nudge", "--week", "2026-W10", "--dry-run"],
}


@pytest.mark.parametrize("team", ["", "  "], ids=["empty", "blank"])
@pytest.mark.parametrize("command", TEAM_COMMANDS)
def test_an_empty_team_is_one_line_not_every_workspace(
    api: SlackWebAPI, place: Place, command: str, team: str
) -> None:
    # Cron's `--team "$TEAM"` with TEAM unset: two workspaces that must not both be touched.
    database = place.database()
    store = Store(database)
    for team_id in ("T1", "T2"):
        subscribe(store, "C1", team=team_id)
        store.record_checkoff(team_id, "C1", "1.7", "U1", datetime(2026, 3, 2, tzinfo=UTC))
    store.close()
    before = sorted(place.root.rglob("*"))
    env = app_env(api, database)
    result = run_cli(*TEAM_COMMANDS[command], "--team", team, env=env, cwd=place.root)
    assert one_line(result) == (
        f"progression-bot: --team {team!r} names no workspace: give its team id "
        "(such as T0123ABCD), or leave --team out for every workspace"
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert sorted(place.root.rglob("*")) == before  # no checkoffs.csv
    assert api.calls("chat.postMessage") == []
    store = Store(database)
    assert [store.deliveries(t, "C1") for t in ("T1", "T2")] == [[], []]
    store.close()


# --- Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"PROGRESSION_TZ": "America"}, "PROGRESSION_TZ is wrong: 'America' is a region"),
        ({"PROGRESSION_TZ": "Mars/Olympus"}, "PROGRESSION_TZ is wrong: 'Mars/Olympus' is not"),
        ({"PROGRESSION_FILE": ""}, "PROGRESSION_FILE is empty"),
        ({"PROGRESSION_DB": ""}, "PROGRESSION_DB is empty"),
    ],
    ids=lambda value: str(value),
)
def test_a_wrong_setting_is_one_line(place: Place, settings: dict[str, str], says: str) -> None:
    result = run_cli("serve", "--http", env=place.env(**settings), cwd=place.root)
    assert says in one_line(result)


@pytest.mark.parametrize("command", ["export", "nudge --dry-run"])
@pytest.mark.parametrize("value", ["inf", "nan", "1e-9", "0", "-5", "fast", "301"])
def test_a_pace_outside_what_slack_allows_is_one_line(
    place: Place, value: str, command: str
) -> None:
    env = place.env(PROGRESSION_DB=str(place.database()), PROGRESSION_POSTS_PER_MINUTE=value)
    del env["SLACK_API_URL"]  # Slack's own, whose limit the pace must keep inside
    result = run_cli(*COMMANDS[command], env=env, cwd=place.root)
    assert one_line(result) == (
        f"progression-bot: PROGRESSION_POSTS_PER_MINUTE is {value!r}: give a number of posts a "
        'minute from 1 to 300 (Slack allows chat.postMessage "several hundred per minute" per '
        "workspace)"
    )
    assert result.stdout == ""


def test_every_wrong_setting_is_in_the_one_line(place: Place) -> None:
    env = place.env(PROGRESSION_TZ="America", PROGRESSION_FILE="", PROGRESSION_CHECK_EMOJI=",")
    line = one_line(run_cli("export", env=env, cwd=place.root))
    for name in ("PROGRESSION_TZ", "PROGRESSION_FILE", "PROGRESSION_CHECK_EMOJI"):
        assert name in line


@pytest.mark.parametrize(
    ("missing", "args"),
    [
        (["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"], ["--http"]),
        (["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN"], []),
    ],
)
def test_every_missing_setting_is_named_at_once(
    place: Place, missing: list[str], args: list[str]
) -> None:
    env = place.env()
    for name in missing:
        env.pop(name, None)
    line = one_line(run_cli("serve", *args, env=env, cwd=place.root))
    assert f"{' and '.join(missing)} are not set" in line
    assert "Create the Slack app" in line
    assert line.endswith("to try it without Slack: progression-bot try")


@pytest.mark.parametrize("spelling", ["utc", "UTC", "america/chicago"])
def test_a_timezone_in_any_case_is_accepted(place: Place, spelling: str) -> None:
    env = place.env(PROGRESSION_TZ=spelling, PROGRESSION_DB=str(place.database()))
    result = run_cli("nudge", "--dry-run", env=env, cwd=place.root)
    assert result.returncode == 0, result.stderr


def test_utc_is_read_as_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import load_settings

    monkeypatch.setenv("PROGRESSION_TZ", "utc")
    assert load_settings().progression_tz == "UTC"
    monkeypatch.setenv("PROGRESSION_TZ", "america/chicago")
    assert load_settings().progression_tz == "America/Chicago"


# --- Slack ------------------------------------------------------------------------------------


def test_socket_mode_with_a_refused_app_token_is_one_line(api: SlackWebAPI, place: Place) -> None:
    api.faults.fail("apps.connections.open", "invalid_auth")
    env = app_env(api, place.root / "progression.db", SLACK_APP_TOKEN=APP_TOKEN, HOME="/tmp")
    env.pop("SLACK_SIGNING_SECRET")
    result = run_cli("serve", env=env, cwd=place.root)
    line = one_line(result)
    assert "SLACK_APP_TOKEN was refused by Slack (invalid_auth)" in line
    assert "Create the Slack app" in line and APP_TOKEN not in result.stderr


class _WebPage(BaseHTTPRequestHandler):
    """What a proxy or a captive portal answers: a web page, whatever was asked."""

    PAGE = b"<html><body><h1>Access denied</h1>Please sign in to the network.</body></html>"

    def _page(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        self.wfile.write(self.PAGE)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._page(200)

    def do_CONNECT(self) -> None:
        self._page(403)  # a proxy that does not let this machine out

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def web_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _WebPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("SLACK_API_URL where nothing listens", "SLACK_API_URL http://127.0.0.1:"),
        ("SLACK_API_URL a name that does not exist", "could not be looked up"),
        ("SLACK_API_URL a web page", "answered with a web page (HTTP 200)"),
        ("no SLACK_API_URL, a proxy where nothing listens", "the connection was refused"),
        ("no SLACK_API_URL, a proxy that refuses", "Tunnel connection failed: 403"),
    ],
)
def test_slack_out_of_reach_says_what_failed(
    place: Place, web_page: str, how: str, says: str
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = {
        "SLACK_API_URL where nothing listens": {"SLACK_API_URL": f"{closed}/api/"},
        "SLACK_API_URL a name that does not exist": {"SLACK_API_URL": "http://slack.invalid/api/"},
        "SLACK_API_URL a web page": {"SLACK_API_URL": f"{web_page}/api/"},
        "no SLACK_API_URL, a proxy where nothing listens": {"HTTPS_PROXY": closed},
        "no SLACK_API_URL, a proxy that refuses": {"HTTPS_PROXY": web_page},
    }[how]
    env = place.env(PROGRESSION_DB=str(place.root / "progression.db"), **settings)
    if "SLACK_API_URL" not in settings:
        del env["SLACK_API_URL"]
    line = one_line(run_cli("serve", "--http", env=env, cwd=place.root))
    assert "could not reach Slack" in line or "web page" in line
    assert says in line
    assert "SLACK_BOT_TOKEN" not in line  # nobody refused the token
    assert ("SLACK_API_URL" in line) is ("SLACK_API_URL" in settings)
    if "HTTPS_PROXY" in settings:
        assert "through the proxy" in line and "check the proxy (HTTPS_PROXY)" in line


def test_the_log_has_no_warning_about_client_and_token(http_app: RunningApp) -> None:
    log = http_app.output()
    assert "Serving Slack requests" in log
    assert "`token` will be unused" not in log
