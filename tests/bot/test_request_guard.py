"""The request guard checks each signature once, with slack_sdk's `SignatureVerifier` on the
app's clock; Bolt behind it does not check it again, and an app served without the guard
checks it itself."""

from __future__ import annotations

import io
import json
import urllib.parse
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import BoltRequest

from bot.app import checks_signatures, create_app
from bot.edge.request_guard import AppClock, Refused, RequestGuard
from bot.edge.startup import guarded_wsgi_app
from bot.edge.wsgi import wsgi_app
from progression.model import Progression
from store import Store
from tests.bot.in_process import FORM, settings_for
from tests.conftest import SIGNING_SECRET
from tests.slack.signing import sign, slash_command_body
from tests.slack.web_api import SlackWebAPI

AT = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def _command(text: str = "phase 3") -> bytes:
    return urllib.parse.urlencode(slash_command_body(text)).encode()


def _environ(body: bytes, headers: dict[str, str], content_type: str = FORM) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def _signed_at(at: datetime, body: bytes) -> dict[str, Any]:
    return _environ(body, sign(SIGNING_SECRET, body, int(at.timestamp())))


def test_the_guard_reads_the_time_on_the_apps_clock() -> None:
    body = _command()
    guard = RequestGuard(SIGNING_SECRET, AppClock(lambda: AT))
    assert guard.admit(_signed_at(AT, body)).body == body
    with pytest.raises(Refused) as refused:
        RequestGuard(SIGNING_SECRET).admit(_signed_at(AT, body))  # the machine's: long after
    assert refused.value == Refused(401, "stale signature timestamp")


@pytest.mark.parametrize(
    ("signed_before", "refusal"),
    [
        (timedelta(seconds=299), None),
        (timedelta(seconds=-299), None),
        (timedelta(seconds=301), Refused(401, "stale signature timestamp")),
        (timedelta(seconds=-301), Refused(401, "stale signature timestamp")),
    ],
)
def test_a_signature_is_good_for_five_minutes_either_way(
    signed_before: timedelta, refusal: Refused | None
) -> None:
    guard = RequestGuard(SIGNING_SECRET, AppClock(lambda: AT))
    environ = _signed_at(AT - signed_before, _command())
    if refusal is None:
        guard.admit(environ)
        return
    with pytest.raises(Refused) as refused:
        guard.admit(environ)
    assert refused.value == refusal


def test_a_signature_by_another_secret_is_refused() -> None:
    body = _command()
    forged = _environ(body, sign("another-secret", body, int(AT.timestamp())))
    with pytest.raises(Refused) as refused:
        RequestGuard(SIGNING_SECRET, AppClock(lambda: AT)).admit(forged)
    assert refused.value == Refused(401, "invalid signature")


@pytest.mark.parametrize("secret", [SIGNING_SECRET, "another-secret"])
def test_a_body_that_is_not_utf8_is_not_one_slack_sends(secret: str) -> None:
    # slack_sdk's verifier reads text: such a body is refused before its signature is checked.
    body = b"\xff\xfe=\x00garbage"
    environ = _environ(body, sign(secret, body, int(AT.timestamp())))
    with pytest.raises(Refused) as refused:
        RequestGuard(SIGNING_SECRET, AppClock(lambda: AT)).admit(environ)
    assert refused.value == Refused(400, "not UTF-8, so not a body Slack sends")


def _serve(app: Any, environ: dict[str, Any]) -> tuple[str, Iterable[bytes]]:
    started: list[str] = []
    body = app(environ, lambda status, headers: started.append(status))
    return started[0], body


def test_behind_the_guard_bolt_does_not_check_again(
    api: SlackWebAPI, tmp_path: Path, bundled_progression: Progression, clean_environment: None
) -> None:
    settings = settings_for(api, tmp_path / "p.db")
    store = Store(settings.progression_db)
    try:
        guarded = create_app(settings, store, progression=bundled_progression, behind_guard=True)
        plain = create_app(settings, store, progression=bundled_progression)
        socket = create_app(settings, store, progression=bundled_progression, socket_mode=True)
        unsigned = _command().decode()
        assert (
            plain.dispatch(BoltRequest(body=unsigned, headers={"content-type": FORM})).status == 401
        )
        assert (
            guarded.dispatch(BoltRequest(body=unsigned, headers={"content-type": FORM})).status
            == 200
        )
        assert checks_signatures(plain)
        assert not checks_signatures(guarded) and not checks_signatures(socket)
        wsgi_app(plain)  # Bolt checks: fine without a guard
        for unchecked in (guarded, socket):
            with pytest.raises(ValueError, match="request guard"):
                wsgi_app(unchecked)
    finally:
        store.close()


def test_a_web_worker_refuses_unsigned_requests_and_answers_signed_ones(
    api: SlackWebAPI, tmp_path: Path, clean_environment: None
) -> None:
    settings = settings_for(api, tmp_path / "p.db")
    store = Store(settings.progression_db)
    try:
        worker = guarded_wsgi_app(settings, store, clock=lambda: AT)
        body = _command()
        status, _ = _serve(worker, _environ(body, {}))
        assert status.startswith("401")
        status, _ = _serve(worker, _signed_at(datetime.now(UTC), body))
        assert status.startswith("401")  # signed on the machine's clock, not the app's
        status, answer = _serve(worker, _signed_at(AT, body))
        assert status.startswith("200")
        assert "Engagement in Independent Learning" in json.loads(b"".join(answer))["text"]
    finally:
        store.close()
