"""The local workspace: a Slack stand-in beside the app, to try it in a browser
(`progression-bot try`): Slack's Web API, Socket Mode and a page. The app does not import it."""
