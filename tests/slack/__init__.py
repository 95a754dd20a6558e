"""Local stand-ins for Slack: its Web API, its Socket Mode server, and its signed requests."""
