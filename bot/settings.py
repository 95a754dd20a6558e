"""Settings from the environment and a `.env` file, validated once at start-up."""

from __future__ import annotations

import ipaddress
import math
import re
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, available_timezones

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from progression.load import ProgressionFileError, load_progression
from progression.model import Progression
from store.backend import StoreError
from store.opening import parse_target

DEFAULT_CHECK_EMOJI = ("white_check_mark", "heavy_check_mark", "ballot_box_with_check")
# Slack documents chat.postMessage at "several hundred per minute" per workspace: 300 is the
# most we read into that, and the default.
DEFAULT_POSTS_PER_MINUTE = 300.0
MOST_POSTS_PER_MINUTE = DEFAULT_POSTS_PER_MINUTE
# Slower than one a minute, a district's week of nudges could outlast the week (a week holds
# 10,080 minutes); a pace near zero would wait years for its second post.
FEWEST_POSTS_PER_MINUTE = 1.0
# A Web API stand-in on this machine (the tests', the local workspace) is not Slack and can be
# driven faster; still a number, so that the pacer can count it.
MOST_POSTS_PER_MINUTE_LOCALLY = 60_000.0
# RFC 6750's b64token: what a bearer token may hold, so that it passes through any header intact.
_BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
# Shorter than this, a token may be guessed by whoever can reach /metrics.
FEWEST_METRICS_TOKEN_CHARACTERS = 16
LOG_FORMATS = ("text", "json")
README_CREATE_APP = "see README.md, section 'Create the Slack app'"
TRY_WITHOUT_SLACK = "to try it without Slack: progression-bot try"


class SettingsError(Exception):
    """A missing or wrong setting; the message is one line that names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    # Multi-workspace mode ("Add to Slack"): the app's OAuth credentials, in place of
    # SLACK_BOT_TOKEN; each workspace's token is in the store.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: SecretStr | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    # A file path (or sqlite:///FILE) for SQLite, or a postgresql:// URL: kept as text, since
    # a Path would fold the URL's "//".
    progression_db: str = Field(default="progression.db", alias="PROGRESSION_DB")
    progression_tz: str = Field(default="UTC", alias="PROGRESSION_TZ")
    progression_managers: str = Field(default="", alias="PROGRESSION_MANAGERS")
    progression_file: Path | None = Field(default=None, alias="PROGRESSION_FILE")
    progression_check_emoji: str = Field(
        default=",".join(DEFAULT_CHECK_EMOJI), alias="PROGRESSION_CHECK_EMOJI"
    )
    # How long the runner's lease lasts unrenewed: how soon a standby takes over.
    progression_runner_lease: float = Field(default=30.0, alias="PROGRESSION_RUNNER_LEASE")
    # The workspace's posting pace for the weekly nudges, across every process and host.
    progression_posts_per_minute: float = Field(
        default=DEFAULT_POSTS_PER_MINUTE, alias="PROGRESSION_POSTS_PER_MINUTE"
    )
    # GET /metrics: answered to loopback, to these networks (CIDRs, comma- or space-separated),
    # and to a request carrying the token as a bearer token.
    progression_metrics_allow: str = Field(default="", alias="PROGRESSION_METRICS_ALLOW")
    progression_metrics_token: SecretStr | None = Field(
        default=None, alias="PROGRESSION_METRICS_TOKEN"
    )
    # "off": no /metrics and no counting (the benchmarks' baseline; a deployment that has no use
    # for them).
    progression_metrics: str = Field(default="on", alias="PROGRESSION_METRICS")
    progression_log_format: str = Field(default="text", alias="PROGRESSION_LOG_FORMAT")
    # How long a workspace that removed the app keeps its data (a reinstall picks up from it).
    progression_retention_days: int = Field(default=30, alias="PROGRESSION_RETENTION_DAYS")

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("progression_db", mode="before")
    @classmethod
    def _database(cls, value: object) -> str:
        text = str(value)
        try:
            parse_target(text)
        except StoreError as error:
            raise ValueError(str(error).removeprefix("PROGRESSION_DB ")) from None
        return text

    @field_validator("progression_tz")
    @classmethod
    def _timezone(cls, value: str) -> str:
        return canonical_timezone(value)

    def load_progression(self) -> Progression:
        """The progression this deployment uses: PROGRESSION_FILE's, or the bundled one. A
        file that cannot be used is refused in one line that names the setting."""
        try:
            return load_progression(self.progression_file)
        except ProgressionFileError as error:
            if self.progression_file is None:
                raise
            raise ProgressionFileError(f"PROGRESSION_FILE {error}") from None

    @field_validator("progression_db", "progression_file", mode="before")
    @classmethod
    def _not_empty(cls, value: object) -> object:
        # An empty path is the current folder to pathlib: say so rather than use it.
        if isinstance(value, str) and not value.strip():
            raise ValueError("is empty: unset it to use the default, or name a file")
        return value

    @field_validator("progression_runner_lease", mode="before")
    @classmethod
    def _lease(cls, value: object) -> float:
        text = str(value).strip()
        try:
            seconds = float(text)
        except ValueError:
            seconds = math.nan
        if 1.0 <= seconds <= 600.0:  # nan is in no range
            return seconds
        raise ValueError(f"is {text!r}: give the seconds a standby waits, from 1 to 600")

    @field_validator("progression_retention_days", mode="before")
    @classmethod
    def _retention(cls, value: object) -> int:
        text = str(value).strip()
        if text.isdigit() and 0 <= int(text) <= 3650:
            return int(text)
        raise ValueError(
            f"is {text!r}: give the days a workspace that removed the app keeps its data, "
            "from 0 (deleted at the runner's next look) to 3650"
        )

    @field_validator("progression_posts_per_minute", mode="before")
    @classmethod
    def _pace(cls, value: object, info: ValidationInfo) -> float:
        # Before pydantic's own parsing, which takes "inf", "nan" and "1e-9" for numbers.
        text = str(value).strip()
        try:
            pace = float(text)
        except ValueError:
            pace = math.nan
        local = _on_this_machine(info.data.get("slack_api_url", ""))
        most = MOST_POSTS_PER_MINUTE_LOCALLY if local else MOST_POSTS_PER_MINUTE
        if FEWEST_POSTS_PER_MINUTE <= pace <= most:  # nan is in no range
            return pace
        reason = (
            "SLACK_API_URL is on this machine, not Slack"
            if local
            else 'Slack allows chat.postMessage "several hundred per minute" per workspace'
        )
        allowed = f"posts a minute from {FEWEST_POSTS_PER_MINUTE:g} to {most:g} ({reason})"
        if not text:
            raise ValueError(f"is empty: unset it for the default, or give a number of {allowed}")
        raise ValueError(f"is {text!r}: give a number of {allowed}")

    @field_validator("progression_metrics_allow", mode="before")
    @classmethod
    def _metrics_allow(cls, value: object) -> str:
        text = str(value).strip()
        metrics_networks(text)  # raises ValueError naming the entry
        return text

    @field_validator("progression_metrics_token", mode="before")
    @classmethod
    def _metrics_token(cls, value: object) -> object:
        # Never say the value: it is a secret, even a wrong one.
        if value is None:
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not text.strip():
            raise ValueError("is empty: unset it, or give a token of 16 characters or more")
        if not _BEARER_TOKEN.fullmatch(text):
            raise ValueError(
                "is not a bearer token: letters, digits and - . _ ~ + / only (no spaces), "
                "such as the output of `openssl rand -hex 32`"
            )
        if len(text) < FEWEST_METRICS_TOKEN_CHARACTERS:
            raise ValueError(
                f"is too short ({len(text)} characters): give {FEWEST_METRICS_TOKEN_CHARACTERS} "
                "or more, such as the output of `openssl rand -hex 32`"
            )
        return text

    @field_validator("progression_metrics", mode="before")
    @classmethod
    def _metrics_switch(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in ("on", "off"):
            raise ValueError(f"is {str(value)!r}: give on or off")
        return text

    @field_validator("progression_log_format", mode="before")
    @classmethod
    def _log_format(cls, value: object) -> str:
        text = str(value).strip().lower()
        if text not in LOG_FORMATS:
            raise ValueError(f"is {str(value)!r}: give text (the default) or json")
        return text

    @field_validator("progression_check_emoji")
    @classmethod
    def _emoji(cls, value: str) -> str:
        if not [e for e in value.split(",") if e.strip()]:
            raise ValueError("needs at least one emoji name, such as white_check_mark")
        return value

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.progression_tz)

    @property
    def managers(self) -> frozenset[str]:
        return frozenset(u.strip() for u in self.progression_managers.split(",") if u.strip())

    @property
    def metrics_networks(self) -> tuple[IPNetwork, ...]:
        """The networks PROGRESSION_METRICS_ALLOW adds to loopback for GET /metrics."""
        return metrics_networks(self.progression_metrics_allow)

    @property
    def metrics_enabled(self) -> bool:
        return self.progression_metrics == "on"

    @property
    def check_emoji(self) -> frozenset[str]:
        return frozenset(e.strip().strip(":") for e in self.progression_check_emoji.split(","))

    @property
    def multi_workspace(self) -> bool:
        """Installed with "Add to Slack" in many workspaces (SLACK_CLIENT_ID and
        SLACK_CLIENT_SECRET), rather than in one with SLACK_BOT_TOKEN."""
        return bool(_given(self.slack_client_id) and _given(self.slack_client_secret))

    def workspace_mode_problem(self) -> str | None:
        """One line naming the settings when they mix the two modes, else None."""
        client_id, secret = _given(self.slack_client_id), _given(self.slack_client_secret)
        if client_id != secret:
            present, absent = (
                ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
                if client_id
                else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID")
            )
            return (
                f"{present} is set but {absent} is not: set both for multi-workspace mode "
                "(Add to Slack), or neither for one workspace with SLACK_BOT_TOKEN"
            )
        if client_id and _given(self.slack_bot_token):
            return (
                "SLACK_BOT_TOKEN is set beside SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: unset "
                "SLACK_BOT_TOKEN for multi-workspace mode (Add to Slack), or the other two for "
                "one workspace"
            )
        return None

    def require_slack(self, *, socket_mode: bool) -> None:
        """Refuse to serve without the Slack credentials the chosen mode needs."""
        if self.multi_workspace:
            self._require_multi_workspace(socket_mode=socket_mode)
            return
        needed = ["SLACK_BOT_TOKEN"] + (["SLACK_APP_TOKEN"] if socket_mode else [])
        needed += [] if socket_mode else ["SLACK_SIGNING_SECRET"]
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        missing = [
            name
            for name in needed
            if (secret := values[name]) is None or not secret.get_secret_value().strip()
        ]
        if missing:
            verb = "is" if len(missing) == 1 else "are"
            raise SettingsError(
                f"{' and '.join(missing)} {verb} not set: {README_CREATE_APP}; {TRY_WITHOUT_SLACK}"
            )
        if socket_mode:
            self._require_app_level_token()

    def _require_app_level_token(self) -> None:
        app_token = self.slack_app_token
        if app_token and not app_token.get_secret_value().startswith("xapp-"):
            raise SettingsError(
                f"SLACK_APP_TOKEN must be an app-level token (xapp-...): {README_CREATE_APP}"
            )

    def _require_multi_workspace(self, *, socket_mode: bool) -> None:
        if socket_mode:
            # Slack's requests come over the WebSocket; the install pages need no signature.
            if not _given(self.slack_app_token):
                raise SettingsError(
                    "SLACK_APP_TOKEN is not set: multi-workspace mode in Socket Mode needs it "
                    "(or run `progression-bot serve --http`); see docs/deploying.md"
                )
            self._require_app_level_token()
            return
        if not _given(self.slack_signing_secret):
            raise SettingsError(
                f"SLACK_SIGNING_SECRET is not set: multi-workspace mode needs it; "
                f"{README_CREATE_APP}"
            )


def _given(value: str | SecretStr | None) -> bool:
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    return bool(text and text.strip())


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into one line that names the setting."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        # Every wrong setting at once, in one line: fixing them one start at a time is slow.
        problems = []
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "settings"
            message = problem["msg"].removeprefix("Value error, ")
            problems.append(
                f"{name} {message}" if message.startswith("is ") else f"{name} is wrong: {message}"
            )
        raise SettingsError("; ".join(problems)) from None
    mistake = settings.workspace_mode_problem()
    if mistake is not None:
        raise SettingsError(mistake)
    return settings


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def metrics_networks(text: str) -> tuple[IPNetwork, ...]:
    """The CIDRs of PROGRESSION_METRICS_ALLOW (comma- or space-separated; an address alone is
    its /32 or /128). ValueError names the first entry that is not one."""
    networks = []
    for entry in re.split(r"[,\s]+", text.strip()):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=True))
        except ValueError:
            try:
                loose = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"is wrong at {entry!r}: give networks as CIDRs, such as 10.0.0.0/24, "
                    "separated by commas"
                ) from None
            raise ValueError(
                f"is wrong at {entry!r}: an address inside {loose}, not a network (host bits "
                f"set); write {loose} for the whole network"
            ) from None
    return tuple(networks)


def _on_this_machine(url: str) -> bool:
    """Whether the Web API at `url` is a stand-in on this machine (loopback), not Slack."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def canonical_timezone(value: str) -> str:
    """The IANA zone `value` names, in its own spelling (`utc` is `UTC`); ValueError if none."""
    name = value.strip()
    zones = _zones_by_lower_name()
    zone = zones.get(name.lower())
    if zone is not None:
        return zone
    inside = sorted(z for low, z in zones.items() if low.startswith(name.lower() + "/"))
    if name and inside:
        example = next((z for z in _EXAMPLES if z in inside), inside[0])
        raise ValueError(f"{value!r} is a region, not a timezone: name one, such as {example}")
    raise ValueError(f"{value!r} is not an IANA timezone such as America/Chicago or UTC")


_EXAMPLES = ("America/Chicago", "Europe/London", "Asia/Tokyo", "Australia/Sydney", "Etc/UTC")


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}
