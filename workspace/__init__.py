"""The local workspace: a Slack stand-in beside the app, to try it in a browser."""
