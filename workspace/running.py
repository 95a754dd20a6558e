"""`progression-bot try` put together: the workspace's server in a thread, and the real app
started as `serve` starts it, in Socket Mode, on the workspace's clock and its own database."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.background.duties import AppDuties
from bot.background.process import start_runner_thread
from bot.edge.socket_mode_client import connect_socket_mode
from bot.edge.startup import start_app
from bot.settings import Settings, load_settings
from bot.slack.checks import check_app_token, check_token
from progression.calendar import WeeklySlot, next_slot
from scheduler.digest import digest_slot
from scheduler.jobs import NudgeScheduler
from scheduler.plan import workspace_slot
from scheduler.runner import Runner
from store import Store
from workspace import district, seed
from workspace.clock import WorkspaceClock
from workspace.people_act import Acts
from workspace.server_thread import ServerThread, listen
from workspace.site import create_site, usage_hint
from workspace.site_state import Site
from workspace.socket_mode import SocketMode
from workspace.state import TEAM_ID, Workspace
from workspace.web_api import APP_TOKEN, BOT_TOKEN, WebAPI

logger = logging.getLogger("workspace")

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "app_manifest.yml"
DEFAULT_DB = Path("progression-try.db")
JUMP_LEAD = timedelta(seconds=1)  # a jump lands just before the slot, so the slot is ahead


def url_host(host: str) -> str:
    """The host part of a URL to a server bound to `host`: a wildcard address is reached on
    the loopback of its family, localhost as bound (IPv4), IPv6 in brackets."""
    reached = {"0.0.0.0": "127.0.0.1", "::": "::1", "localhost": "127.0.0.1"}.get(host, host)
    return f"[{reached}]" if ":" in reached else reached


class WorkspaceStartError(Exception):
    """The workspace or its app could not start; the message says why and what to do."""


class RunningApp:
    """The app in this process, started and stopped as `serve` starts it in Socket Mode: the
    Bolt app and its runner, sharing one store."""

    def __init__(self, settings: Settings, clock: WorkspaceClock) -> None:
        self.settings = settings
        self.clock = clock
        self.app: App | None = None
        self.store: Store | None = None
        self.runner: Runner | None = None
        self._runner_thread: threading.Thread | None = None
        self.handler: SocketModeHandler | None = None

    @property
    def scheduler(self) -> NudgeScheduler | None:
        """The running nudge scheduler, once the runner is active."""
        duties = self.runner.duties if self.runner is not None else None
        return duties.scheduler if isinstance(duties, AppDuties) else None

    def start(self) -> None:
        check_token(self.settings)
        check_app_token(self.settings)
        store = Store(self.settings.progression_db)
        self.app = start_app(self.settings, store, socket_mode=True, clock=self.clock)
        self.runner, self._runner_thread = start_runner_thread(
            self.settings, store, clock=self.clock
        )
        # Its own database and nobody else's runner: the lease is taken at once.
        if not self.runner.wait_active(timeout=20):
            raise WorkspaceStartError("the app's runner did not start; see the log above")
        self.store = store
        self.handler = connect_socket_mode(self.app, APP_TOKEN)

    def stop(self) -> None:
        if self.handler is not None:
            self.handler.close()
            self.handler = None
        # Gone for the page at once: its status line no longer reads the store being closed.
        runner, self.runner = self.runner, None
        store, self.store = self.store, None
        if runner is not None:
            runner.stop()  # a fan-out in progress finishes its posts first
            if self._runner_thread is not None:
                self._runner_thread.join(timeout=60)
        if store is not None:
            store.close()

    def rearm(self) -> None:
        """After the clock moved: every workspace's job armed again from the new time."""
        scheduler, store = self.scheduler, self.store
        if scheduler is None or store is None:
            return
        for team_id in store.teams():
            scheduler.rebuild(team_id)

    def is_nudge(self, channel_id: str, ts: str) -> bool:
        """Whether the app has confirmed this message as a nudge it posted."""
        if self.store is None:
            return False
        return self.store.delivery_by_ts(TEAM_ID, channel_id, ts) is not None

    def next_nudge(self) -> datetime | None:
        return self._soonest(workspace_slot)

    def next_digest(self) -> datetime | None:
        """When the app's scheduler posts the next weekly digest (None: digests are off)."""
        return self._soonest(digest_slot)

    def _soonest(self, slot_of: Callable[[Store, str, str], WeeklySlot | None]) -> datetime | None:
        """The soonest slot, over every workspace, of what `slot_of` reads from the store."""
        store = self.store
        if store is None:
            return None
        soonest: datetime | None = None
        for team_id in store.teams():
            slot = slot_of(store, team_id, self.settings.progression_tz)
            if slot is None:
                continue
            try:
                _week, at = next_slot(self.clock(), slot, store.breaks(team_id))
            except ValueError:
                continue
            soonest = at if soonest is None or at < soonest else soonest
        return soonest


class LocalWorkspace:
    """The workspace's server and the app connected to it; `start()`, then `stop()`."""

    def __init__(self, host: str, port: int, db: Path = DEFAULT_DB, fresh: bool = False) -> None:
        self.host, self.port, self.db = host, port, db
        self.clock = WorkspaceClock()
        self.workspace = Workspace(self.clock)
        self.socket_mode = SocketMode(self.workspace)
        self.web_api = WebAPI(self.workspace, self._socket_url)
        self.acts = Acts(self.workspace, self.web_api, self.socket_mode, self.local_url)
        self.site = Site(
            self.workspace, self.web_api, self.socket_mode, self.acts, self, usage_hint(MANIFEST)
        )
        self.app = RunningApp(self._settings(), self.clock)
        self._server: ServerThread | None = None
        self._fresh = fresh
        self._lock = threading.Lock()

    @property
    def local_url(self) -> str:
        """Where the app and the browser reach the server: an address it listens on."""
        return f"http://{url_host(self.host)}:{self.port}/"

    @property
    def url(self) -> str:
        return self.local_url

    def _socket_url(self) -> str:
        return f"ws://{url_host(self.host)}:{self.port}/link/?ticket=local&app_id=A0PROGRESS"

    def _settings(self) -> Settings:
        return load_settings(
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_SIGNING_SECRET=None,
            # One workspace, whatever an operator's environment says of Add to Slack.
            SLACK_CLIENT_ID=None,
            SLACK_CLIENT_SECRET=None,
            SLACK_API_URL=f"{self.local_url}api/",
            PROGRESSION_DB=self.db,
            PROGRESSION_MANAGERS="",
            PROGRESSION_TZ=district.TIMEZONE,
        )

    # --- lifecycle ------------------------------------------------------------------

    @property
    def kept(self) -> Path:
        """The workspace's messages and clock, kept beside the app's database between runs."""
        return self.db.with_name(self.db.name + ".workspace.json")

    def start(self) -> None:
        with self._lock:
            # The district is in place before the server answers: a page asked for in between
            # (a tab left open on an earlier run asks at once) found a workspace without it.
            district.open_district(self.workspace)
            snapshot = None if self._fresh else self._read_kept()
            if snapshot is not None:
                self.workspace.restore(snapshot["workspace"])
                self.clock.set_offset(timedelta(seconds=float(snapshot["clock_offset"])))
            self._serve()
            if snapshot is None:
                self._remove_database()
            self._start_app()
            if snapshot is None:
                seed.seed(self.workspace, self.acts, self.run, self.app.rearm, self.app.is_nudge)
            self.save()

    def save(self) -> None:
        snapshot = {
            "clock_offset": self.clock.offset().total_seconds(),
            "workspace": self.workspace.snapshot(),
        }
        self.kept.write_text(json.dumps(snapshot))

    def _read_kept(self) -> dict[str, Any] | None:
        if not self.db.exists():
            return None
        try:
            snapshot = json.loads(self.kept.read_text())
            return snapshot if isinstance(snapshot, dict) and "workspace" in snapshot else None
        except (OSError, ValueError):
            return None  # a database without its workspace: start over

    def stop(self) -> None:
        if self._server is not None and self.app.store is not None:
            self.save()
        self.app.stop()
        if self._server is not None:
            self._server.stop()

    def wait(self) -> None:
        """Until the server stops (Ctrl-C)."""
        while self._server is not None and self._server.alive():
            self._server.thread.join(timeout=0.5)

    def _serve(self) -> None:
        try:
            # Bound here, so a port in use is one line of ours rather than uvicorn's log.
            listening = listen(self.host, self.port)
        except OSError as error:
            raise WorkspaceStartError(
                f"--port {self.port}: could not listen on {self.host}:{self.port} "
                f"({os.strerror(error.errno) if error.errno else error}): pick another --port"
            ) from None
        self._server = ServerThread(create_site(self.site), listening)
        self.site.hang_up = self._server.hang_up
        if not self._server.start():
            raise WorkspaceStartError(f"the local workspace did not start on port {self.port}")

    def run(self, work: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
        """Run a coroutine on the server's event loop from another thread."""
        assert self._server is not None
        return self._server.run(work, timeout)

    def _start_app(self) -> None:
        self.app.start()
        if not self.workspace.wait_until(lambda: self.socket_mode.connected, 20):
            raise WorkspaceStartError("the app did not connect to the workspace in Socket Mode")

    def _remove_database(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        self.kept.unlink(missing_ok=True)

    # --- the page's controls --------------------------------------------------------

    def next_nudge(self) -> datetime | None:
        return self.app.next_nudge()

    def next_digest(self) -> datetime | None:
        return self.app.next_digest()

    def jump_to_next_nudge(self) -> datetime | None:
        return self._jump_to(self.app.next_nudge())

    def jump_to_next_digest(self) -> datetime | None:
        """To just before the next digest, which the app's scheduler then posts."""
        return self._jump_to(self.app.next_digest())

    def _jump_to(self, at: datetime | None) -> datetime | None:
        if at is None:
            return None
        self.clock.set(at - JUMP_LEAD)
        self.app.rearm()
        # Back to the page once the slot has passed, so its next-nudge line shows the one after.
        deadline = time.monotonic() + 10 * JUMP_LEAD.total_seconds()
        while self.clock() <= at and time.monotonic() < deadline:
            time.sleep(0.05)  # the workspace's clock reaching the slot it was set just before
        return at

    def start_over(self) -> None:
        with self._lock:
            self.app.stop()
            self.workspace.wait_until(lambda: not self.socket_mode.connected, 10)
            self._remove_database()
            self.clock.reset()
            district.open_district(self.workspace)
            self.app = RunningApp(self._settings(), self.clock)
            self._start_app()
            seed.seed(self.workspace, self.acts, self.run, self.app.rearm, self.app.is_nudge)
            self.save()
