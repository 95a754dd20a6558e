"""The baseline: a bare Bolt app that only acks "ok", on the same gunicorn stack as ours."""

from __future__ import annotations

import argparse

from slack_bolt import Ack, App

from bot.server import serve_http, wsgi_app
from bot.settings import load_settings
from bot.slack_client import slack_client


def build() -> App:
    settings = load_settings()
    assert settings.slack_signing_secret is not None
    # Configured as ours is (answer in the ack), so the comparison is of the work done only.
    app = App(
        client=slack_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=True,
    )

    @app.command("/progression")
    def ok(ack: Ack) -> None:
        ack("ok")

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve_http(lambda: wsgi_app(build()), "127.0.0.1", args.port)


if __name__ == "__main__":
    main()
