"""What managers are told when a week's nudges could not all be posted.

A channel Slack refused a nudge for is told to the manager who subscribed it at once (the
fan-out tries again later that week); a week that ends with channels still not posted is told
to each of their managers, so no week is dropped in silence. One DM per manager, listing their
channels; each (channel, week) is told once per process.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from progression import wording
from scheduler.fanout import ChannelResult, FanoutReport
from store import Store

logger = logging.getLogger(__name__)


def refused_message(week: str, results: list[ChannelResult]) -> dict[str, Any]:
    """The DM for channels whose nudge Slack refused (tried again this week)."""
    lines = "\n".join(f"• <#{r.channel_id}>: Slack said `{r.detail}`" for r in results)
    text = (
        f":warning: Slack refused this week's nudge ({wording.week(week)}) for "
        f"{wording.counted(len(results), 'channel')}:\n{lines}\n"
        "I will try again during the week. If it keeps failing, check the app's token and "
        "that the app may post there."
    )
    return {"text": text}


def week_not_posted_message(week: str, results: list[ChannelResult]) -> dict[str, Any]:
    """The DM for channels that did not get the week's nudge at all."""
    lines = "\n".join(f"• <#{r.channel_id}>: {r.detail or r.outcome}" for r in results)
    text = (
        f":warning: {wording.counted(len(results), 'channel')} did not get the nudge for "
        f"{wording.week(week)}; I kept trying all week:\n{lines}\n"
        "The move stays next in line: it goes out with the channel's next nudge."
    )
    return {"text": text}


def tell_refusals(
    store: Store, client: WebClient, report: FanoutReport, told: set[tuple[str, str, str]]
) -> None:
    """Tell each manager of the channels Slack refused this run, once per channel and week."""
    fresh = [r for r in report.failed if (report.team_id, r.channel_id, report.week) not in told]
    for manager, results in _by_manager(store, report.team_id, fresh).items():
        _send(client, manager, refused_message(report.week, results))
    told.update((report.team_id, r.channel_id, report.week) for r in fresh)


def tell_week_not_posted(store: Store, client: WebClient, report: FanoutReport) -> None:
    """The week ends with channels not posted: logged, and each of their managers told."""
    left = report.left
    logger.error(
        "Week %s of %s ends with %d channel(s) not posted: %s",
        report.week,
        report.team_id,
        len(left),
        ", ".join(r.channel_id for r in left),
    )
    for manager, results in _by_manager(store, report.team_id, left).items():
        _send(client, manager, week_not_posted_message(report.week, results))


def _by_manager(
    store: Store, team_id: str, results: Iterable[ChannelResult]
) -> dict[str, list[ChannelResult]]:
    results = list(results)
    if not results:
        return {}
    managers = {s.channel_id: s.subscribed_by for s in store.subscriptions(team_id)}
    grouped: dict[str, list[ChannelResult]] = defaultdict(list)
    for result in results:
        manager = managers.get(result.channel_id)
        if manager:  # unsubscribed meanwhile: nobody to tell, nothing to post
            grouped[manager].append(result)
    return dict(grouped)


def _send(client: WebClient, user_id: str, message: dict[str, Any]) -> None:
    try:
        client.chat_postMessage(channel=user_id, text=message["text"])
    except SlackApiError as error:
        logger.warning("Could not tell %s: %s", user_id, error.response.get("error"))
    except Exception as error:  # Slack unreachable: the log line above says it all
        logger.warning("Could not tell %s: %s", user_id, type(error).__name__)
