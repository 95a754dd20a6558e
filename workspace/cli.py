"""`progression-bot try`: the local workspace in the browser, with the real app connected."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import webbrowser
from pathlib import Path
from types import FrameType

from bot.cli.errors import CliError
from bot.cli.registry import Commands
from bot.settings import Settings

logger = logging.getLogger("workspace")

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
PORTS = range(1, 65536)  # 0 would be a free port the app is never told of


def register(commands: Commands) -> None:
    """The `try` subcommand, added to progression-bot's parser through its entry point."""
    parser = commands.add(
        "try", run, help="a local workspace in the browser with the real app: try it without Slack"
    )
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine)")
    parser.add_argument("--fresh", action="store_true", help="start over with a new district")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser")
    parser.add_argument(
        "--db", type=Path, default=Path("progression-try.db"), help=argparse.SUPPRESS
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _has_a_screen() -> bool:
    """Where a graphical browser can open: without a display, webbrowser may start a text
    browser in this very terminal."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def host_warning(host: str) -> str | None:
    """The warning for a --host other than this machine's, or None."""
    if host in LOCAL_HOSTS:
        return None
    return (
        f"progression-bot: warning: --host {host}: the local workspace has no sign-in and is a "
        "demo; anyone who can reach this address can act as anyone in it"
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    # The environment's Slack settings are for `serve`; the workspace brings its own.
    from workspace.running import LocalWorkspace, WorkspaceStartError
    from workspace.seed import SeedError

    if args.port not in PORTS:
        raise CliError(f"--port {args.port}: a port is from {PORTS[0]} to {PORTS[-1]}")
    warning = host_warning(args.host)
    if warning:
        print(warning, file=sys.stderr)
    logging.getLogger("progression_bot").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("scheduler").setLevel(logging.WARNING)
    logging.getLogger("slack_bolt").setLevel(logging.WARNING)
    local = LocalWorkspace(args.host, args.port, args.db, fresh=args.fresh)
    print("Starting the local workspace and the app (a district with a few past weeks)…")
    try:
        local.start()
    except (WorkspaceStartError, SeedError) as error:
        local.stop()
        raise CliError(str(error)) from None
    # SIGTERM ends the process as Ctrl-C does, so the workspace is kept for the next run.
    signal.signal(signal.SIGTERM, _interrupt)
    print(f"Local workspace: {local.url}", flush=True)
    if not args.no_open and _has_a_screen():
        try:
            webbrowser.open(local.url)
        except webbrowser.Error:
            pass  # no browser here: the URL is printed
    try:
        local.wait()
    except KeyboardInterrupt:
        pass
    finally:
        local.stop()
    return 0
