"""The CLI's one-line error, and the options whose mistakes it reports."""


class CliError(Exception):
    """A problem to report in one line, exit status 2."""


def chosen_team(value: str | None) -> str | None:
    """`--team`'s workspace, or None for every workspace when the option is left out.

    An empty value is a mistake, never "every workspace": a cron line whose variable is unset
    (`--team "$TEAM"`) must not export or post for all of them."""
    if value is None:
        return None
    team = value.strip()
    if not team:
        raise CliError(
            f"--team {value!r} names no workspace: give its team id (such as T0123ABCD), "
            "or leave --team out for every workspace"
        )
    return team
