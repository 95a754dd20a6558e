"""docs/deploying.md tells the truth: its nginx server block carries signed Slack requests to
the running app, its systemd unit runs the app as an unprivileged user without a home and stops
it gracefully, its cron line posts the due week once, and its backup, restore and monitoring
commands do what it says. Each command is taken from the document and run with the paths
moved into a temporary folder."""

from __future__ import annotations

import configparser
import os
import pwd
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from progression.calendar import WeeklySlot, week_of
from store import Store
from tests.conftest import (
    BOT_TOKEN,
    ROOT,
    SIGNING_SECRET,
    RunningApp,
    app_env,
    free_port,
    start_http_app,
    stop_app,
)
from tests.postgres import fresh_database
from tests.slack.signing import SlackSender, reaction_event
from tests.slack.web_api import SlackWebAPI

DOCS = ROOT / "docs"
GUIDE = (DOCS / "deploying.md").read_text()
NGINX_BLOCK = DOCS / "nginx" / "progression-bot.conf"
UNIT = DOCS / "systemd" / "progression-bot.service"
CRON = DOCS / "cron" / "progression-bot"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
STATE = "/var/lib/progression-bot"
ENV_FILE = "/etc/progression-bot/env"
INSTALLED = "/opt/progression-bot/.venv/bin/progression-bot"
HOST = "slack.example.org"
BACKUP = (
    f"runuser -u progression-bot -- env PROGRESSION_DB={STATE}/progression.db {INSTALLED} "
    "backup /var/backups/progression-bot/"
)


def guide_line(start: str) -> str:
    """The one line of the guide that starts with `start` (a command as the reader types it)."""
    lines = [line.strip() for line in GUIDE.splitlines() if line.strip().startswith(start)]
    assert len(lines) == 1, f"expected one line starting {start!r} in docs/deploying.md: {lines}"
    return lines[0]


@pytest.fixture
def place() -> Iterator[Path]:
    """A folder the service user can use (pytest's own temporary folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="progression-deploy-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_service_user(command: list[str]) -> list[str]:
    """Run nginx as an unprivileged user: `nobody` when the tests are root."""
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]


def homeless(place: Path) -> str:
    """A HOME that cannot exist, for root too (below a file): a system user has none."""
    (place / "not-a-folder").write_text("")
    return str(place / "not-a-folder" / "home")


def give_to_service_user(*paths: Path) -> None:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in paths:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"exited {process.returncode}: {log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # readiness of a process starting, not a schedule
    pytest.fail(f"nothing listening on {port}: {log.read_text()}")


# --- nginx ------------------------------------------------------------------------------


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST},IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    key.chmod(0o644)  # a throwaway key that the unprivileged nginx reads
    return cert, key


@pytest.fixture
def app(api: SlackWebAPI, tmp_path: Path) -> Iterator[RunningApp]:
    running = start_http_app(app_env(api, tmp_path / "p.db"), tmp_path)
    yield running
    stop_app(running)


@pytest.fixture
def nginx(app: RunningApp, place: Path) -> Iterator[tuple[int, int, Path]]:
    """The guide's server block, on loopback ports, in front of the running app."""
    if NGINX is None:
        pytest.skip("nginx is not installed: apt-get install -y nginx")
    for tool in ("openssl", "curl"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed: apt-get install -y {tool}")
    cert, key = make_certificate(place)
    https_port, http_port = free_port(), free_port()
    app_port = app.url.rsplit(":", 1)[1]
    block = NGINX_BLOCK.read_text()
    for line in ("    listen [::]:80;\n", "    listen [::]:443 ssl;\n"):
        assert line in block
        block = block.replace(line, "")  # loopback only: no IPv6 on every test machine
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{http_port};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https_port} ssl;",
        f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(cert),
        f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(key),
        "http://127.0.0.1:3000": f"http://127.0.0.1:{app_port}",
    }
    for old, new in replacements.items():
        assert old in block, old
        block = block.replace(old, new)
    (place / "progression-bot.conf").write_text(block)
    temp = "\n".join(
        f"    {kind}_temp_path {place / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (place / "nginx.conf").write_text(
        f"worker_processes 1;\npid {place / 'nginx.pid'};\nerror_log {place / 'error.log'};\n"
        "events { worker_connections 64; }\n"
        f"http {{\n    access_log {place / 'access.log'};\n{temp}\n"
        f"    include {place / 'progression-bot.conf'};\n}}\n"
    )
    give_to_service_user(place)
    log = place / "error.log"
    command = [NGINX, "-p", str(place), "-c", str(place / "nginx.conf"), "-e", str(log)]
    checked = subprocess.run(
        as_service_user([*command, "-t"]), capture_output=True, text=True, timeout=30
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(as_service_user([*command, "-g", "daemon off;"]))
    try:
        wait_for_port(https_port, process, log)
        yield https_port, http_port, cert
    finally:
        process.send_signal(signal.SIGQUIT)  # nginx's graceful stop
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_nginx_carries_signed_slack_requests_to_the_app(
    nginx: tuple[int, int, Path], app: RunningApp
) -> None:
    https_port, http_port, cert = nginx
    tls = ssl.create_default_context(cafile=str(cert))
    url = f"https://127.0.0.1:{https_port}/slack/events"
    with SlackSender(url, SIGNING_SECRET, timeout=2.9, tls=tls) as slack:
        challenge = slack.url_verification("chal-123")
        assert challenge.status == 200 and "chal-123" in challenge.text
        phase = slack.command("phase 3")
        assert (
            phase.status == 200
            and "Independent Learning" in phase.json()["blocks"][0]["text"]["text"]
        )
        event = reaction_event(
            "reaction_added", user="U1", reaction="tada", channel="C1", ts="1.000001"
        )
        assert slack.event(event).status == 200
        forged = SlackSender(url, "not-the-signing-secret", tls=tls)
        with forged:
            assert forged.command("phase 3").status == 401

    # The guide's health check, as written, with the host name resolved to loopback.
    curl = shlex.split(guide_line("curl -fsS https://"))
    curl[-1] = curl[-1].replace(f"https://{HOST}/", f"https://{HOST}:{https_port}/")
    extra = ["--resolve", f"{HOST}:{https_port}:127.0.0.1", "--cacert", str(cert)]
    health = subprocess.run(
        [*curl[:1], *extra, *curl[1:]], capture_output=True, text=True, timeout=30
    )
    assert health.returncode == 0 and health.stdout == "ok\n", health.stderr

    # Only the two paths are passed on; plain HTTP is only a redirect to HTTPS.
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"https://127.0.0.1:{https_port}/admin", context=tls, timeout=5)
    assert missing.value.code == 404
    missing.value.close()
    plain = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
         f"http://127.0.0.1:{http_port}/slack/events"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert plain.stdout.startswith("301 https://127.0.0.1/slack/events")
    assert "Traceback" not in app.output()


def test_the_guide_shows_the_shipped_server_block() -> None:
    block = NGINX_BLOCK.read_text()
    for line in (
        "proxy_pass http://127.0.0.1:3000;",
        "proxy_request_buffering off;",
        "location = /slack/events {",
        "location = /healthz {",
        f"server_name {HOST};",
    ):
        assert line in block and line in GUIDE, line
    assert "cp /opt/progression-bot/docs/nginx/progression-bot.conf " in GUIDE


# --- systemd ----------------------------------------------------------------------------


def read_unit() -> configparser.ConfigParser:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(UNIT.read_text())
    return unit


def test_the_unit_runs_as_its_own_user_with_the_database_in_its_state_directory() -> None:
    service = read_unit()["Service"]
    assert service["User"] not in ("root", "0") and service["User"] == "progression-bot"
    assert service["StateDirectory"] == "progression-bot"
    assert service["Environment"] == f"PROGRESSION_DB={STATE}/progression.db"
    assert service["Restart"] == "on-failure"
    assert service["KillSignal"] == "SIGTERM"
    # `serve` exits within 10 s of SIGTERM (tests/bot/test_stopping.py): room to spare.
    assert 10 < int(service["TimeoutStopSec"]) <= 20
    assert service["ExecStart"].startswith(f"{INSTALLED} serve --http --host 127.0.0.1 ")
    assert "cp /opt/progression-bot/docs/systemd/progression-bot.service " in GUIDE


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_accepts_the_unit(place: Path) -> None:
    unit = place / "progression-bot.service"
    unit.write_text(UNIT.read_text().replace(INSTALLED, str(ROOT / ".venv/bin/progression-bot")))
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stderr


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        pytest.param("", "Weekly nudges scheduled for", id="built-in scheduler"),
        pytest.param(" --no-scheduler", "run `progression-bot nudge` (cron)", id="cron"),
    ],
)
def test_the_units_exec_start_serves_without_a_home_and_stops_gracefully(
    api: SlackWebAPI, place: Path, extra: str, says: str
) -> None:
    service = read_unit()["Service"]
    state, port = place / "state", free_port()
    state.mkdir()
    command = shlex.split(
        service["ExecStart"]
        .replace(INSTALLED, str(ROOT / ".venv/bin/progression-bot"))
        .replace("--port 3000", f"--port {port}")
        + extra
    )
    # As systemd starts it: the unit's Environment= and EnvironmentFile=, nothing else (a
    # system user's HOME is a folder that does not exist; no XDG_RUNTIME_DIR).
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": homeless(place),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": api.url,
        "PYTHONUNBUFFERED": "1",
    }
    key, value = service["Environment"].split("=", 1)
    env[key] = value.replace(STATE, str(state))
    log = place / "service.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            command,
            cwd=state,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, log)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as health:
            assert health.status == 200
        # The runner beside the workers says which way the nudges go once it holds the lease.
        deadline = time.monotonic() + 30
        while says not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)  # polling another process's log, not a schedule
    finally:
        process.send_signal(signal.Signals[service["KillSignal"]])
        returncode = process.wait(timeout=int(service["TimeoutStopSec"]))
    output = log.read_text()
    assert returncode == 0, output
    assert (state / "progression.db").is_file()
    assert "Control server error" not in output and "Traceback" not in output
    assert says in output
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output


# --- cron -------------------------------------------------------------------------------


def test_the_cron_line_posts_the_due_week_once(api: SlackWebAPI, place: Path) -> None:
    line = next(
        entry for entry in CRON.read_text().splitlines() if entry and not entry.startswith("#")
    )
    assert line in GUIDE and "--no-scheduler" in GUIDE
    fields = line.split(None, 6)
    assert fields[:5] == ["*/10", "*", "*", "*", "*"] and fields[5] == "progression-bot"
    state, settings = place / "state", place / "env"
    state.mkdir()
    settings.write_text(
        f"SLACK_BOT_TOKEN={BOT_TOKEN}\nSLACK_SIGNING_SECRET={SIGNING_SECRET}\n"
        f"SLACK_API_URL={api.url}\n"
    )
    # A workspace whose slot this week has passed (today, at midnight UTC).
    now = datetime.now(UTC)
    store = Store(state / "progression.db")
    store.set_schedule(
        "TCRON", WeeklySlot(now.weekday(), now.time().replace(0, 0, 0, 0), "UTC"), now
    )
    store.subscribe("TCRON", "CCRON1", "teacher", (), "U0", week_of(now, "UTC"), now)
    store.close()
    command = (
        fields[6]
        .replace(STATE, str(state))
        .replace(ENV_FILE, str(settings))
        .replace(INSTALLED, str(ROOT / ".venv/bin/progression-bot"))
        .replace("logger -t progression-bot-nudge", f"cat >> {state / 'nudge.log'}")
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": homeless(place), "SHELL": "/bin/sh"}  # cron's
    for _ in range(2):
        ran = subprocess.run(
            ["/bin/sh", "-c", command],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stderr
    posts = [c for c in api.calls("chat.postMessage") if c.params.get("channel") == "CCRON1"]
    assert len(posts) == 1, (state / "nudge.log").read_text()
    assert "posted" in (state / "nudge.log").read_text()


# --- backup, restore, monitoring ---------------------------------------------------------


def run_as_service_user(command: str, place: Path) -> None:
    """A guide's `runuser -u progression-bot -- …` line, run as its user would have it: a plain
    shell, a bare PATH and no home."""
    ran = subprocess.run(
        ["/bin/sh", "-c", command.replace("runuser -u progression-bot -- ", "")],
        env={"PATH": "/usr/bin:/bin", "HOME": homeless(place)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr


def district_with_a_checkoff(db: Path, team: str, channel: str) -> None:
    """A subscribed channel whose move 1.7 user U1 has checked off."""
    now = datetime.now(UTC)
    store = Store(db)
    store.subscribe(team, channel, "teacher", (), "U0", "2026-W48", now)
    store.record_checkoff(team, channel, "1.7", "U1", now, "1.1")
    store.close()


def test_backup_and_restore_as_the_guide_says(api: SlackWebAPI, place: Path) -> None:
    state, backups = place / "state", place / "backups"
    state.mkdir()
    backups.mkdir()
    district_with_a_checkoff(state / "progression.db", "TBK", "CBK1")

    def moved(command: str) -> str:
        return (
            command.replace(STATE, str(state))
            .replace("/var/backups/progression-bot", str(backups))
            .replace(INSTALLED, str(ROOT / ".venv/bin/progression-bot"))
        )

    # The daily backup, and the one before an upgrade: the same command, another file.
    for start in (BACKUP + "progression-", BACKUP + "before-upgrade"):
        run_as_service_user(moved(guide_line(start)), place)
    assert (backups / "before-upgrade.db").is_file()
    copy = backups / f"progression-{datetime.now().date().isoformat()}.db"
    assert copy.is_file()

    # The live database is lost; the guide's restore puts the copy back.
    (state / "progression.db").unlink()
    dated = "/var/backups/progression-bot/progression-2026-12-01.db"
    for start in ("rm -f /var/lib/progression-bot/", "install -m 0640 -o progression-bot"):
        command = moved(guide_line(start).replace(dated, str(copy)))
        command = command.replace("-o progression-bot -g progression-bot", "")
        subprocess.run(["/bin/sh", "-c", command], check=True, timeout=60)
    restored = Store(state / "progression.db")
    assert restored.checked_by("TBK", "CBK1", "1.7") == ["U1"]
    restored.close()


@pytest.mark.skipif(
    shutil.which("sqlite3") is None, reason="no sqlite3 shell: apt-get install -y sqlite3"
)
def test_the_monitoring_queries_find_unconfirmed_and_inactive_channels(tmp_path: Path) -> None:
    now = datetime.now(UTC)
    store = Store(tmp_path / "progression.db")
    for channel in ("CMON1", "CMON2", "CMON3"):
        store.subscribe("TMON", channel, "teacher", (), "U0", "2026-W48", now)
        store.claim_delivery(
            "TMON", channel, "2026-W48", role="teacher", ref="1.7", round=1, owner="x", now=now
        )
    store.mark_unconfirmed("TMON", "CMON1", "2026-W48")
    store.confirm_delivery("TMON", "CMON2", "2026-W48", "1.2", now)
    store.mark_inactive("TMON", "CMON3", "is_archived", now)
    store.close()
    start = f"sqlite3 -readonly {STATE}/progression.db "
    queries = [q.strip() for q in GUIDE.splitlines() if q.strip().startswith(start)]
    assert len(queries) == 2
    outputs = []
    for what in ("where state = 'unconfirmed'", "where active = 0"):
        query = next(q for q in queries if what in q)
        command = query.replace(f"{STATE}/progression.db", str(tmp_path / "progression.db"))
        ran = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, timeout=30)
        assert ran.returncode == 0, ran.stderr
        outputs.append(ran.stdout)
    assert outputs[0] == "TMON|CMON1|2026-W48\n"
    assert outputs[1].startswith("TMON|CMON3|is_archived|")


def test_ci_installs_nginx_when_missing() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install -y nginx" in ci and "sqlite3" in ci


GUIDE_DB_URL = "postgresql://progression@db.example.org:5432/progression"


def test_the_move_to_postgresql_as_the_guide_says(place: Path) -> None:
    """Section 10: the env lines, the copy-db line, the lease query, pg_dump and pg_restore."""
    with fresh_database() as url, fresh_database() as restored_url:
        state = place / "state"
        state.mkdir()
        district_with_a_checkoff(state / "progression.db", "TPG", "CPG1")
        # The guide's env lines, pointed at the test's database.
        env_file = place / "env"
        guide_env = GUIDE.split("```ini\nPROGRESSION_DB=", 1)[1].split("```", 1)[0]
        env_file.write_text(
            "PROGRESSION_DB=" + guide_env.replace(GUIDE_DB_URL, url).replace("PGPASSWORD=...\n", "")
        )

        copy = guide_line(
            "runuser -u progression-bot -- sh -c 'set -a && . /etc/progression-bot/env"
        )
        copy = (
            copy.replace("/etc/progression-bot/env", str(env_file))
            .replace(STATE, str(state))
            .replace(INSTALLED, str(ROOT / ".venv/bin/progression-bot"))
        )
        run_as_service_user(copy, place)
        moved = Store(url)
        try:
            assert moved.checked_by("TPG", "CPG1", "1.7") == ["U1"]
            moved.take_lease("runner", "app1:4242", time.time(), 30)
        finally:
            moved.close()

        # Which runner is active: the guide's query, as psql would run it.
        query = guide_line('psql "' + GUIDE_DB_URL).split(" -c ", 1)[1]
        holders = subprocess.run(
            ["psql", url, "-At", "-c", shlex.split(query)[0]],
            capture_output=True, text=True, timeout=60, check=True,
        ).stdout  # fmt: skip
        assert holders.startswith("app1:4242|")

        # The backup, and its restore into another database.
        dump = guide_line("pg_dump --format=custom").replace(GUIDE_DB_URL, url)
        dump = dump.replace("/var/backups/progression-bot", str(place))
        subprocess.run(["/bin/sh", "-c", dump], check=True, timeout=120)
        [dumped] = place.glob("progression-*.dump")
        restore = guide_line("pg_restore ").replace(GUIDE_DB_URL, restored_url)
        restore = restore.replace(
            "/var/backups/progression-bot/progression-2026-12-01.dump", str(dumped)
        )
        subprocess.run(["/bin/sh", "-c", restore], check=True, timeout=120)
        restored = Store(restored_url)
        try:
            assert restored.checked_by("TPG", "CPG1", "1.7") == ["U1"]
        finally:
            restored.close()
