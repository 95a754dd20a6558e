"""The CLI's one-line error."""


class CliError(Exception):
    """A problem to report in one line, exit status 2."""
