"""The local workspace: a Slack stand-in beside the app, to try it in a browser
(`progression-bot try`): Slack's Web API, response_urls, Socket Mode and a page. It is also
the Slack the tests and benchmarks talk to (`tests/slack/`), with faults injected on request
(`faults.py`) and every call kept (`calls.py`). The app does not import it."""
