"""A local Slack workspace: a Slack-compatible Web API, Socket Mode and a web page, for trying
the app without Slack (`progression-bot try`). The app does not import it: it is Slack."""
