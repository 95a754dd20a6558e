"""Talking to Slack: the Web API client, start-up checks, response_urls, replays, work after
the ack, who manages, who is in which channel."""
