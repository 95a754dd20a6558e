"""What a person sees while Slack is asked, and when Slack says no after the answer was sent."""

from __future__ import annotations

from bot.views.blocks import Message, message, section
from bot.views.mrkdwn import echo


def _plain(text: str) -> Message:
    return message(text, [section(text)])


def subscribing_message(channel_id: str) -> Message:
    return _plain(f":hourglass_flowing_sand: Subscribing <#{channel_id}>…")


def checking_manager_message() -> Message:
    return _plain(":hourglass_flowing_sand: Checking with Slack that you can manage…")


def finding_channels_message() -> Message:
    return _plain(":hourglass_flowing_sand: Finding your role channels…")


def busy_message() -> Message:
    return _plain(
        ":warning: Too much is waiting on Slack right now, so nothing was done. "
        "Please try again in a minute."
    )


def slack_failed_message() -> Message:
    return _plain(
        ":warning: Slack did not answer as expected, so that could not be finished (it has "
        "been logged). Please try again in a minute."
    )


def share_failed_message(text: str) -> Message:
    return _plain(
        ":warning: That reply could not be shared: Slack no longer accepts answers to it. "
        f"Ask again with `/progression {echo(text)} share`."
    )


def home_not_refreshed_message() -> Message:
    return _plain(
        "Your check-off is saved, but your Home tab could not be refreshed just now: "
        "open it again to see it."
    )


def home_not_saved_message() -> Message:
    return _plain(
        ":warning: Your press on the Home tab could not be saved just now (the database was "
        "busy or failed; it has been logged). Please press it again in a minute."
    )
