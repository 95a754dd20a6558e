"""The progression as data: phases of numbered actions, each owned by a role, each with a next move.

Text fields hold the source wording verbatim; the only markup is Slack mrkdwn emphasis
(`_italic_`, `*bold*`), translated from the source documents by the importer.
"""

from __future__ import annotations

from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Role(_Strict):
    """A group of staff that owns some actions of every phase ("Teacher")."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="short id: teacher")
    name: str = Field(min_length=1, description="as the documents say: Systems Level Planning")
    aliases: tuple[str, ...] = Field(
        default=(), description="other words staff use for it: principal, sys"
    )


class Action(_Strict):
    number: int = Field(ge=1)
    role: str = Field(min_length=1, description="the key of the role that owns it")
    text: str = Field(min_length=1)
    next_move: str = Field(min_length=1)


class Phase(_Strict):
    number: int = Field(ge=1)
    title: str = Field(min_length=1)
    aliases: tuple[str, ...] = Field(default=(), description="older titles, still findable")
    intro: str | None = None
    actions: tuple[Action, ...] = Field(min_length=1)

    @field_validator("actions")
    @classmethod
    def _numbers_unique_and_ordered(cls, actions: tuple[Action, ...]) -> tuple[Action, ...]:
        numbers = [a.number for a in actions]
        if numbers != sorted(set(numbers)):
            raise ValueError(f"action numbers must be unique and ascending, got {numbers}")
        return actions

    def action(self, number: int) -> Action | None:
        return next((a for a in self.actions if a.number == number), None)


class Progression(_Strict):
    name: str = "Distance Learning Progression"
    source: str | None = Field(default=None, description="where the full resources live")
    roles: tuple[Role, ...] = Field(min_length=1)
    phases: tuple[Phase, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [r.key for r in self.roles]
        if len(keys) != len(set(keys)):
            raise ValueError(f"role keys must be unique, got {keys}")
        numbers = [p.number for p in self.phases]
        if numbers != sorted(set(numbers)):
            raise ValueError(f"phase numbers must be unique and ascending, got {numbers}")
        for phase in self.phases:
            for action in phase.actions:
                if action.role not in keys:
                    raise ValueError(
                        f"action {phase.number}.{action.number} names role {action.role!r}, "
                        f"which is not one of {keys}"
                    )
        return self

    def phase(self, number: int) -> Phase | None:
        return next((p for p in self.phases if p.number == number), None)

    def role(self, key: str) -> Role | None:
        return next((r for r in self.roles if r.key == key), None)

    def moves(self) -> list[Move]:
        """Every action in progression order: phase, then action number."""
        return [Move(phase=p, action=a) for p in self.phases for a in p.actions]


class Move(BaseModel):
    """An action in its phase: what lookups, nudges and check-offs refer to as `P.A`."""

    model_config = ConfigDict(frozen=True)

    phase: Phase
    action: Action

    @property
    def ref(self) -> str:
        return f"{self.phase.number}.{self.action.number}"
