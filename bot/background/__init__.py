"""The runner's Slack work: the weekly nudges' duties, the live counts, the bot-user look-ups, and
the runner as a process."""
