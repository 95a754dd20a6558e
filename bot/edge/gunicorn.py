"""gunicorn embedded: web workers that only answer Slack, and the runner beside them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from bot.observe.json_logs import JsonFormatter

if TYPE_CHECKING:
    from wsgiref.types import WSGIApplication


class Beside(Protocol):
    """A process gunicorn's master starts once its workers listen, tells to stop the moment
    the master is told to (`stopping`), and waits for as it exits (`stop`)."""

    def start(self) -> None: ...

    def stopping(self) -> None: ...

    def stop(self) -> None: ...


class _Gunicorn(BaseApplication):
    """gunicorn embedded: web workers that only answer Slack (the runner is elsewhere)."""

    def __init__(self, load_wsgi: Callable[[], WSGIApplication], options: dict[str, Any]):
        self._load_wsgi = load_wsgi
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:  # a setting older gunicorns lack is theirs to skip
                self.cfg.set(key, value)

    def load(self) -> WSGIApplication:
        return self._load_wsgi()


class JsonLogger(Logger):
    """gunicorn's own lines (workers started, stopped, timed out) as JSON, like the app's."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(JsonFormatter())


def serve_http(
    load_wsgi: Callable[[], WSGIApplication],
    host: str,
    port: int,
    *,
    workers: int = 1,
    threads: int = 16,
    worker_class: str = "gthread",
    beside: Beside | None = None,
    log_format: str = "text",
    hooks: dict[str, Callable[..., None]] | None = None,
) -> None:
    """Serve until SIGTERM, which lets in-flight requests finish before the process exits.

    `hooks`: gunicorn server hooks by name (`child_exit`, ...), beside those set here."""
    options: dict[str, Any] = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": worker_class,
        "threads": threads,
        # Requests are answered within Slack's 3 seconds: a worker still busy past this is
        # stuck, and `serve` stops within 10 seconds of SIGTERM.
        "graceful_timeout": 8,
        "timeout": 60,
        "keepalive": 75,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "progression-bot",
        # gunicorn's control socket (gunicornc) is not used: off, so that a service user
        # without a home directory gets no "Control server error", and two instances on
        # one host do not fight over $XDG_RUNTIME_DIR/gunicorn.ctl.
        "control_socket_disable": True,
    }
    if log_format == "json":
        options["logger_class"] = JsonLogger
    options.update(hooks or {})
    if beside is not None:
        options["when_ready"] = lambda arbiter: _start_beside(arbiter, beside)
        options["on_exit"] = lambda arbiter: beside.stop()
    _Gunicorn(load_wsgi, options).run()


def _start_beside(arbiter: Any, beside: Beside) -> None:
    beside.start()
    # gunicorn has no hook for its master's stop signals, and `on_exit` comes only once the
    # workers are gone: the master's handlers (looked up by name at each signal) tell the
    # process beside first, so it stops while the workers finish, not after them.
    for name in ("handle_term", "handle_int", "handle_quit"):
        handler = getattr(arbiter, name)

        def tell_first(handler: Callable[[], None] = handler) -> None:
            beside.stopping()
            handler()

        setattr(arbiter, name, tell_first)
