"""What the workspace holds: people, channels, messages with their reactions, App Home views,
and a log of everything that crossed between Slack and the app. Plain Python, thread-safe;
every change is announced to the listeners (the page's live updates)."""

from __future__ import annotations

import base64
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from workspace.clock import WorkspaceClock

TEAM_ID = "T0LOCAL"
TEAM_NAME = "Lincoln Unified School District"
TEAM_DOMAIN = "lincoln-usd"
APP_ID = "A0PROGRESS"
BOT_ID = "B0PROGRESS"
BOT_USER_ID = "U0PROGRESS"
BOT_NAME = "Progression"
LOG_SIZE = 500

Change = dict[str, str]
Listener = Callable[[Change], object]


@dataclass(frozen=True)
class Identity:
    """Who the workspace is and who its app is, as auth.test and every payload tell the app."""

    team_id: str = TEAM_ID
    team_name: str = TEAM_NAME
    team_domain: str = TEAM_DOMAIN
    app_id: str = APP_ID
    bot_id: str = BOT_ID
    bot_user_id: str = BOT_USER_ID
    bot_name: str = BOT_NAME


LOCAL = Identity()


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    title: str
    is_admin: bool = False
    is_bot: bool = False
    tz: str = "America/Chicago"
    is_owner: bool = False
    deleted: bool = False


@dataclass(frozen=True)
class Channel:
    id: str
    name: str
    purpose: str = ""
    is_im: bool = False
    user: str = ""  # the person of a direct message with the app
    is_private: bool = False
    is_member: bool = True  # whether the app is in it (a private one it is not in is hidden)
    is_archived: bool = False
    # The workspace it belongs to, when the workspace stands in for several ("Add to Slack"):
    # a token of another workspace is refused about it. Empty: the one workspace's.
    team_id: str = ""


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    ephemeral_for: str = ""  # a private reply: only this person sees it
    edited: bool = False
    reactions: dict[str, list[str]] = field(default_factory=dict)  # emoji -> who, in order
    files: list[dict[str, Any]] = field(default_factory=list)  # shared files, as Slack lists them
    thread_ts: str = ""  # a reply in the thread of that message

    def as_slack(self, identity: Identity = LOCAL) -> dict[str, Any]:
        """The message as Slack shows it to an app (block_actions, conversations.history)."""
        message: dict[str, Any] = {"type": "message", "ts": self.ts, "text": self.text}
        if self.user == identity.bot_user_id:
            message.update(
                user=identity.bot_user_id,
                bot_id=identity.bot_id,
                app_id=identity.app_id,
                team=identity.team_id,
            )
        else:
            message["user"] = self.user
        if self.blocks:
            message["blocks"] = self.blocks
        if self.attachments:
            message["attachments"] = self.attachments
        if self.files:
            message["files"] = self.files
        if self.thread_ts:
            message["thread_ts"] = self.thread_ts
        if self.reactions:
            message["reactions"] = [
                {"name": name, "users": list(users), "count": len(users)}
                for name, users in self.reactions.items()
                if users
            ]
        return message


@dataclass
class UploadedFile:
    """A file an app uploaded (files.getUploadURLExternal, then its bytes), shared in a channel
    once files.completeUploadExternal says where."""

    id: str
    filename: str
    length: int
    alt_txt: str = ""
    title: str = ""
    data: bytes | None = None  # None until the upload URL got its bytes
    shared_in: list[str] = field(default_factory=list)

    def as_slack(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.filename,
            "title": self.title or self.filename,
            "alt_txt": self.alt_txt,
            "mimetype": "image/png" if self.filename.lower().endswith(".png") else "",
            "size": self.length,
            "url_private": f"/files/{self.id}",
            "channels": list(self.shared_in),
        }


@dataclass(frozen=True)
class LogEntry:
    number: int
    at: str  # on the workspace's clock
    kind: str  # "web_api", "envelope", "response_url"
    title: str
    request: Any
    answer: Any


class Workspace:
    """The workspace's data. Methods that change it announce a `Change` to the listeners."""

    def __init__(self, clock: WorkspaceClock, identity: Identity = LOCAL) -> None:
        self.clock = clock
        self.identity = identity
        self._lock = threading.Condition()
        self._listeners: list[Listener] = []
        self.people: dict[str, Person] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}  # channel -> people, where they were set
        self.log: deque[LogEntry] = deque(maxlen=LOG_SIZE)
        self.files: dict[str, UploadedFile] = {}
        self._numbers = itertools.count(1)
        self._last_ts = 0

    # --- listeners and waiting ------------------------------------------------------

    def listen(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return stop

    def _changed(self, **change: str) -> None:
        """Called holding the lock: wake waiters, tell listeners (which must not block)."""
        self._lock.notify_all()
        for listener in list(self._listeners):
            listener(change)

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(condition, timeout)

    # --- directory ------------------------------------------------------------------

    def reset(self, people: Iterable[Person], channels: Iterable[Channel]) -> None:
        with self._lock:
            self.people = {p.id: p for p in people}
            bot = self.identity.bot_user_id
            self.people[bot] = Person(bot, self.identity.bot_name, "app", is_bot=True)
            self.channels = {c.id: c for c in channels}
            self.messages = {c: [] for c in self.channels}
            self.home_views.clear()
            self.members.clear()
            self.files.clear()
            self.log.clear()
            self._last_ts = 0
            self._changed(kind="reset")

    def directory(self) -> tuple[list[Person], list[Channel]]:
        """The people (the app left out) and the channels (direct messages left out), read
        at once: `reset` in another thread replaces them while a page is being drawn."""
        with self._lock:
            people = [p for p in self.people.values() if not p.is_bot]
            return people, [c for c in self.channels.values() if not c.is_im]

    def person(self, user_id: str) -> Person | None:
        return self.people.get(user_id)

    def add_person(self, person: Person) -> None:
        with self._lock:
            self.people[person.id] = person

    def add_channel(self, channel: Channel) -> None:
        with self._lock:
            self.channels[channel.id] = channel
            self.messages.setdefault(channel.id, [])

    def set_members(self, channel_id: str, user_ids: Iterable[str]) -> None:
        """Who is in a channel; a channel whose members were never set has everyone in it
        (the app included), as in the seeded district."""
        with self._lock:
            self.members[channel_id] = set(user_ids)

    def members_of(self, channel_id: str) -> list[str]:
        with self._lock:
            if channel_id in self.members:
                return sorted(self.members[channel_id])
            channel = self.channels.get(channel_id)
            if channel is not None and channel.is_im:
                return [channel.user, self.identity.bot_user_id]
            return list(self.people)  # everyone, the app too

    def direct_channel(self, user_id: str) -> Channel:
        """The app's direct-message channel with a person, opened on first use."""
        with self._lock:
            channel_id = "D" + user_id.removeprefix("U")
            if channel_id not in self.channels:
                self.channels[channel_id] = Channel(channel_id, user_id, is_im=True, user=user_id)
                self.messages[channel_id] = []
            return self.channels[channel_id]

    # --- messages -------------------------------------------------------------------

    def next_ts(self) -> str:
        """A message ts from the workspace's clock, unique and increasing as Slack's are."""
        with self._lock:
            micros = max(int(self.clock.timestamp() * 1_000_000), self._last_ts + 1)
            self._last_ts = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    def post(self, message: Message) -> Message:
        with self._lock:
            self.messages.setdefault(message.channel, []).append(message)
            self._changed(kind="channel", id=message.channel)
        return message

    def find(self, channel_id: str, ts: str) -> Message | None:
        with self._lock:
            for message in self.messages.get(channel_id, []):
                if message.ts == ts:
                    return message
        return None

    def update(self, channel_id: str, ts: str, **fields: Any) -> Message | None:
        with self._lock:
            message = self.find(channel_id, ts)
            if message is None:
                return None
            for name, value in fields.items():
                setattr(message, name, value)
            message.edited = True
            self._changed(kind="channel", id=channel_id)
            return message

    def delete(self, channel_id: str, ts: str) -> bool:
        with self._lock:
            message = self.find(channel_id, ts)
            if message is None:
                return False
            self.messages[channel_id].remove(message)
            self._changed(kind="channel", id=channel_id)
            return True

    def toggle_reaction(self, channel_id: str, ts: str, name: str, user_id: str) -> bool | None:
        """Add the person's reaction, or take it away if they had it: True when added; None
        when there is no such message."""
        with self._lock:
            message = self.find(channel_id, ts)
            if message is None:
                return None
            users = message.reactions.setdefault(name, [])
            added = user_id not in users
            if added:
                users.append(user_id)
            else:
                users.remove(user_id)
            self._changed(kind="channel", id=channel_id)
            return added

    def visible(self, channel_id: str, user_id: str) -> list[Message]:
        """The channel as this person sees it: everyone's messages and their private replies."""
        with self._lock:
            return [
                m
                for m in self.messages.get(channel_id, [])
                if not m.ephemeral_for or m.ephemeral_for == user_id
            ]

    def count(self, channel_id: str, author: str = "") -> int:
        """Messages in the channel for everyone, by `author` (the app by default)."""
        author = author or self.identity.bot_user_id
        with self._lock:
            return sum(
                1
                for m in self.messages.get(channel_id, [])
                if m.user == author and not m.ephemeral_for
            )

    # --- App Home -------------------------------------------------------------------

    def publish_view(self, user_id: str, view: dict[str, Any]) -> None:
        with self._lock:
            self.home_views[user_id] = view
            self._changed(kind="home", user=user_id)

    # --- the developer's log --------------------------------------------------------

    def entries(self) -> list[LogEntry]:
        """The developer's log, newest first."""
        with self._lock:
            return list(reversed(self.log))

    def record(self, kind: str, title: str, request: Any, answer: Any) -> LogEntry:
        with self._lock:
            entry = LogEntry(
                next(self._numbers), self.clock().isoformat(), kind, title, request, answer
            )
            self.log.append(entry)
            self._changed(kind="log")
            return entry

    # --- files ------------------------------------------------------------------------

    def new_file(self, filename: str, length: int, alt_txt: str) -> UploadedFile:
        with self._lock:
            file = UploadedFile(f"F{next(self._numbers):08d}", filename, length, alt_txt)
            self.files[file.id] = file
            return file

    def receive_file(self, file_id: str, data: bytes) -> bool:
        """The bytes sent to a file's upload URL; False for an unknown id or a wrong length."""
        with self._lock:
            file = self.files.get(file_id)
            if file is None or file.data is not None or len(data) != file.length:
                return False
            file.data = data
            return True

    def share_files(
        self, files: list[tuple[str, str]], channel_id: str, comment: str, thread_ts: str
    ) -> list[UploadedFile]:
        """Title the files and, with a channel, post them there as Slack does: a message of
        the app's with the files (and the comment)."""
        with self._lock:
            shared = []
            for file_id, title in files:
                file = self.files[file_id]
                file.title = title or file.title
                if channel_id and channel_id not in file.shared_in:
                    file.shared_in.append(channel_id)
                shared.append(file)
            if channel_id:
                self.post(
                    Message(
                        channel=channel_id,
                        ts=self.next_ts(),
                        user=self.identity.bot_user_id,
                        text=comment,
                        files=[f.as_slack() for f in shared],
                        thread_ts=thread_ts,
                    )
                )
            return shared

    # --- kept between runs ----------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What `try` keeps beside its database, so a restart shows the same workspace."""
        with self._lock:
            return {
                "messages": [asdict(m) for ms in self.messages.values() for m in ms],
                "direct": [c.user for c in self.channels.values() if c.is_im],
                "home_views": dict(self.home_views),
                "files": [_kept_file(f) for f in self.files.values() if f.data is not None],
                "last_ts": self._last_ts,
            }

    def restore(self, snapshot: Mapping[str, Any]) -> None:
        with self._lock:
            for user_id in snapshot.get("direct", []):
                self.direct_channel(user_id)
            for fields in snapshot.get("messages", []):
                message = Message(**fields)
                if message.channel in self.messages:
                    self.messages[message.channel].append(message)
            self.home_views.update(snapshot.get("home_views", {}))
            for kept in snapshot.get("files", []):
                file = _restored_file(kept)
                self.files[file.id] = file
            # New files get ids after the kept ones (ids and log numbers share one count).
            kept = [int(f[1:]) + 1 for f in self.files if f[1:].isdigit()]
            self._numbers = itertools.count(max([next(self._numbers), *kept]))
            self._last_ts = int(snapshot.get("last_ts", 0))
            self._changed(kind="reset")

    def announce(self, **change: str) -> None:
        with self._lock:
            self._changed(**change)


def _kept_file(file: UploadedFile) -> dict[str, Any]:
    kept = asdict(file)
    kept["data"] = base64.b64encode(file.data or b"").decode("ascii")
    return kept


def _restored_file(kept: Mapping[str, Any]) -> UploadedFile:
    return UploadedFile(**{**kept, "data": base64.b64decode(kept["data"])})
