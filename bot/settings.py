"""Settings from the environment and a `.env` file, validated once at start-up."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CHECK_EMOJI = ("white_check_mark", "heavy_check_mark", "ballot_box_with_check")
README_CREATE_APP = "see README.md, section 'Create the Slack app'"


class SettingsError(Exception):
    """A missing or wrong setting; the message is one line that names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    progression_db: Path = Field(default=Path("progression.db"), alias="PROGRESSION_DB")
    progression_tz: str = Field(default="UTC", alias="PROGRESSION_TZ")
    progression_managers: str = Field(default="", alias="PROGRESSION_MANAGERS")
    progression_file: Path | None = Field(default=None, alias="PROGRESSION_FILE")
    progression_check_emoji: str = Field(
        default=",".join(DEFAULT_CHECK_EMOJI), alias="PROGRESSION_CHECK_EMOJI"
    )
    # How long the runner's lease lasts unrenewed: how soon a standby takes over.
    progression_runner_lease: float = Field(
        default=30.0, ge=1.0, le=600.0, alias="PROGRESSION_RUNNER_LEASE"
    )

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("progression_tz")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA timezone such as America/Chicago") from None
        return value

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
    def check_emoji(self) -> frozenset[str]:
        return frozenset(e.strip().strip(":") for e in self.progression_check_emoji.split(","))

    def require_slack(self, *, socket_mode: bool) -> None:
        """Refuse to serve without the Slack credentials the chosen mode needs."""
        needed = ["SLACK_BOT_TOKEN"] + (["SLACK_APP_TOKEN"] if socket_mode else [])
        needed += [] if socket_mode else ["SLACK_SIGNING_SECRET"]
        values = {
            "SLACK_BOT_TOKEN": self.slack_bot_token,
            "SLACK_SIGNING_SECRET": self.slack_signing_secret,
            "SLACK_APP_TOKEN": self.slack_app_token,
        }
        for name in needed:
            secret = values[name]
            if secret is None or not secret.get_secret_value().strip():
                raise SettingsError(f"{name} is not set: {README_CREATE_APP}")
        app_token = self.slack_app_token
        if socket_mode and app_token and not app_token.get_secret_value().startswith("xapp-"):
            raise SettingsError(
                f"SLACK_APP_TOKEN must be an app-level token (xapp-...): {README_CREATE_APP}"
            )


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        raise SettingsError(f"{name.upper()} is wrong: {first['msg']}") from None
