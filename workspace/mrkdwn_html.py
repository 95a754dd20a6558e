"""Slack's mrkdwn as HTML: pure functions from the text an app sends to escaped markup.

Everything that is not one of Slack's few constructs is HTML-escaped, so text that came from a
person is shown, never interpreted. The constructs: `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
```` ```pre``` ````, `>` quotes, lines that read as lists, `<https://x|label>` and bare links,
`<@U…>`, `<#C…>` and `<!here>` mentions, and `:emoji:` shortcodes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import emoji
from markupsafe import Markup, escape

_SLACK_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_PRE = re.compile(r"```(.*?)```", re.DOTALL)
# Leftmost wins: a code span hides what is inside it, a control sequence is one unit.
_INLINE = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<control><[^<>\n]*>)"
    r"|(?P<url>\bhttps?://[^\s<>`]+)"
    r"|(?P<emoji>:[a-z0-9_+'-]+:(?::skin-tone-[2-6]:)?)",
    re.IGNORECASE,
)
_SHORTCODE = re.compile(r"(?P<emoji>:[a-z0-9_+'-]+:(?::skin-tone-[2-6]:)?)", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?)]}'\""
# Slack's rule: a marker opens after a space or punctuation and closes before one; the text
# between them neither starts nor ends with a space. `snake_case_name` stays as it is.
_EMPHASIS = (
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), "strong"),
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), "em"),
    (re.compile(r"(?<![\w~])~(?=\S)(.+?)(?<=\S)~(?![\w~])"), "del"),
)
_EMPHASIS_TAG = re.compile(r"<(/?)(strong|em|del)>")
_LONG_QUOTE = re.compile(r"^(?:>>>|&gt;&gt;&gt;) ?", re.MULTILINE)
_QUOTE = re.compile(r"^(?:>|&gt;) ?(.*)$")
_BULLET = re.compile(r"^(\s*)([•◦▪▫‣\-])\s+(.*)$")
_NUMBERED = re.compile(r"^(\s*)(\d{1,4})([.)])\s+(.*)$")
_SAFE_SCHEME = re.compile(r"^(?:https?://|mailto:|tel:)", re.IGNORECASE)
_PLACEHOLDER = "\x00"
_SLOT = re.compile("\x00(\\d+)\x00")
# Slack writes skin tones as a second shortcode after the emoji: `:wave::skin-tone-3:`.
_SKIN_TONES = {f"skin-tone-{n}": chr(0x1F3FB + n - 2) for n in range(2, 7)}
_VARIATION_SELECTOR = "\ufe0f"
# Names Slack has that the Unicode aliases do not.
_SLACK_NAMES = {
    "simple_smile": "🙂",
    "medal": "🏅",
    "first_place_medal": "🥇",
    "second_place_medal": "🥈",
    "third_place_medal": "🥉",
    "octagonal_sign": "🛑",
    "large_green_circle": "🟢",
    "large_yellow_circle": "🟡",
    "large_orange_circle": "🟠",
    "large_purple_circle": "🟣",
    "large_brown_circle": "🟤",
}
_SLACK_PREFIXES = (("male_", "man_"), ("female_", "woman_"))
_FLAG = re.compile(r"^flag-([a-z]{2})$")
_REGIONAL_A = 0x1F1E6
_BROADCASTS = {"here", "channel", "everyone"}


@dataclass(frozen=True)
class Names:
    """Ids to display names, as the workspace knows them. An id it does not know is shown as
    the label that came with it (`<#C1|general>`), else as the id: still something to read."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)

    def user(self, user_id: str, label: str = "") -> str:
        return self.users.get(user_id) or label or user_id

    def channel(self, channel_id: str, label: str = "") -> str:
        return self.channels.get(channel_id) or label or channel_id


def unescape_slack(text: str) -> str:
    """Slack's three entities back to characters (a single pass: `&amp;lt;` is `&lt;`)."""
    return _ENTITY.sub(lambda m: _SLACK_ENTITIES[m[0]], text)


def emoji_for(name: str) -> str | None:
    """The emoji that Slack shows for a shortcode name (`tada`, `+1`, `flag-us`), or None."""
    name = name.strip(":").lower()
    if name in _SKIN_TONES:
        return _SKIN_TONES[name]
    if name in _SLACK_NAMES:
        return _SLACK_NAMES[name]
    if flag := _FLAG.match(name):
        return "".join(chr(_REGIONAL_A + ord(letter) - ord("a")) for letter in flag[1])
    # Slack spells sequences with hyphens (`man-facepalming`, `male-teacher`); the Unicode
    # aliases use underscores (`man_facepalming`, `man_teacher`).
    spelled = name.replace("-", "_")
    for old, new in _SLACK_PREFIXES:
        if spelled.startswith(old):
            spelled = new + spelled.removeprefix(old)
    for candidate in dict.fromkeys((name, spelled)):
        shown = emoji.emojize(f":{candidate}:", language="alias")
        if shown != f":{candidate}:":
            return shown
    return None


def render_shortcode(shortcode: str) -> Markup | None:
    """`:tada:` or `:wave::skin-tone-3:` as an emoji with its name as a tooltip, or None."""
    name, _, tone = shortcode.strip(":").partition("::")
    char = emoji_for(name)
    if char is None:
        return None
    if tone in _SKIN_TONES:
        # The modifier follows the person, before any joiner: 🤦 🏼 ‍♂.
        base = char.replace(_VARIATION_SELECTOR, "")
        char = base[0] + _SKIN_TONES[tone] + base[1:]
    return Markup('<span class="bk-emoji" title="{}">{}</span>').format(shortcode, char)


def emojize_plain(text: str) -> Markup:
    """Plain text (no mrkdwn) with `:shortcodes:` as emoji, as `plain_text` with `emoji: true`."""

    def special(match: re.Match[str]) -> str | None:
        shown = render_shortcode(match[0])
        return None if shown is None else str(shown)

    return Markup(_substitute(text, special, lambda plain: str(escape(plain)), _SHORTCODE))


def render_mrkdwn(text: str, names: Names, verbatim: bool = False) -> Markup:
    """A mrkdwn text object's `text` as HTML; `verbatim` leaves bare URLs as text, as Slack does."""
    text = text.replace(_PLACEHOLDER, "")
    parts: list[Markup] = []
    position = 0
    for match in [*_PRE.finditer(text), None]:
        end = match.start() if match else len(text)
        # `>>>` quotes everything after it, code blocks included.
        if quote := _LONG_QUOTE.search(text, position, end):
            parts.extend(_render_lines(text[position : quote.start()], names, verbatim))
            rest = render_mrkdwn(text[quote.end() :], names, verbatim)
            parts.append(Markup('<blockquote class="bk-quote">{}</blockquote>').format(rest))
            break
        parts.extend(_render_lines(text[position:end], names, verbatim))
        if match:
            parts.append(_render_pre(match[1], names))
            position = match.end()
    return Markup("").join(parts)


def _render_pre(body: str, names: Names) -> Markup:
    body = body.removeprefix("\n").removesuffix("\n")
    return Markup('<pre class="bk-pre">{}</pre>').format(_render_literal(body, names))


def _render_literal(text: str, names: Names) -> Markup:
    """Code: shown as written, except that control sequences read as Slack shows them."""

    def special(match: re.Match[str]) -> str | None:
        if match.lastgroup != "control":
            return None
        return str(escape(_control_words(match[0][1:-1], names)))

    return Markup(_substitute(text, special, lambda plain: str(escape(unescape_slack(plain)))))


def _render_lines(text: str, names: Names, verbatim: bool) -> Iterable[Markup]:
    """Lines grouped into paragraphs, quotes and lists, in order."""
    if not text.strip("\n"):
        return
    groups: list[tuple[str, list[re.Match[str] | str]]] = []
    for line in text.strip("\n").split("\n"):
        kind, value = _line_kind(line)
        if groups and groups[-1][0] == kind:
            groups[-1][1].append(value)
        else:
            groups.append((kind, [value]))
    for kind, lines in groups:
        yield _RENDER_GROUP[kind](lines, names, verbatim)


def _line_kind(line: str) -> tuple[str, re.Match[str] | str]:
    if not line.strip():
        return "blank", line
    if quote := _QUOTE.match(line):
        return "quote", quote[1]
    if bullet := _BULLET.match(line):
        return "bullet", bullet
    if numbered := _NUMBERED.match(line):
        return "numbered", numbered
    return "text", line


def _paragraph(lines: list[re.Match[str] | str], names: Names, verbatim: bool) -> Markup:
    body = Markup("<br>").join(_inline(str(line), names, verbatim) for line in lines)
    return Markup('<p class="bk-p">{}</p>').format(body)


def _quote(lines: list[re.Match[str] | str], names: Names, verbatim: bool) -> Markup:
    body = Markup("<br>").join(_inline(str(line), names, verbatim) for line in lines)
    return Markup('<blockquote class="bk-quote">{}</blockquote>').format(body)


def _bullets(lines: list[re.Match[str] | str], names: Names, verbatim: bool) -> Markup:
    # The marker stays as Slack shows it; the list gives screen readers the structure.
    items = Markup("").join(
        Markup('<li{}><span class="bk-marker" aria-hidden="true">{}</span>{}</li>').format(
            _indent(m[1]), m[2], _inline(m[3], names, verbatim)
        )
        for m in lines
        if isinstance(m, re.Match)
    )
    return Markup('<ul class="bk-list">{}</ul>').format(items)


def _numbered(lines: list[re.Match[str] | str], names: Names, verbatim: bool) -> Markup:
    items = Markup("").join(
        Markup(
            '<li value="{}"{}><span class="bk-marker" aria-hidden="true">{}</span>{}</li>'
        ).format(int(m[2]), _indent(m[1]), m[2] + m[3], _inline(m[4], names, verbatim))
        for m in lines
        if isinstance(m, re.Match)
    )
    return Markup('<ol class="bk-list">{}</ol>').format(items)


def _indent(spaces: str) -> Markup:
    """A nested item (`    • sub`) keeps its depth: two spaces, or a tab, a level; at most 4."""
    depth = min(len(spaces.expandtabs(4)) // 2, 4)
    return Markup(' class="bk-indent-{}"').format(depth) if depth else Markup()


def _blank(lines: list[re.Match[str] | str], names: Names, verbatim: bool) -> Markup:
    return Markup("")  # blank lines end a paragraph; the paragraphs' margins show the gap


_RENDER_GROUP: dict[str, Callable[[list[re.Match[str] | str], Names, bool], Markup]] = {
    "blank": _blank,
    "text": _paragraph,
    "quote": _quote,
    "bullet": _bullets,
    "numbered": _numbered,
}


def _inline(line: str, names: Names, verbatim: bool) -> Markup:
    """One line: code spans, control sequences, links and emoji, then emphasis around them."""
    slots: list[Markup] = []

    def keep(markup: Markup) -> str:
        slots.append(markup)
        return f"{_PLACEHOLDER}{len(slots) - 1}{_PLACEHOLDER}"

    def special(match: re.Match[str]) -> str | None:
        kind, token = match.lastgroup, match[0]
        if kind == "code":
            body = _render_literal(token[1:-1], names)
            return keep(Markup('<code class="bk-code">{}</code>').format(body))
        if kind == "control":
            return keep(render_control(token[1:-1], names))
        if kind == "url":
            if verbatim:
                return None
            url, tail = _split_trailing(token)
            return keep(_link(unescape_slack(url), unescape_slack(url))) + str(
                escape(unescape_slack(tail))
            )
        shown = render_shortcode(token)
        return None if shown is None else keep(shown)

    # Escaped first, so that emphasis only ever wraps text that is already safe.
    marked = _substitute(line, special, lambda plain: str(escape(unescape_slack(plain))))
    for pattern, tag in _EMPHASIS:
        marked = pattern.sub(_wrap_in(tag), marked)
    return Markup(_SLOT.sub(lambda m: str(slots[int(m[1])]), marked))


def _wrap_in(tag: str) -> Callable[[re.Match[str]], str]:
    def wrap(match: re.Match[str]) -> str:
        # Left as written when it would cross another emphasis: `*a _b* c_`.
        return f"<{tag}>{match[1]}</{tag}>" if _balanced(match[1]) else match[0]

    return wrap


def _balanced(html: str) -> bool:
    """Whether the emphasis tags already in `html` close in order, so wrapping it nests."""
    open_tags: list[str] = []
    for match in _EMPHASIS_TAG.finditer(html):
        if not match[1]:
            open_tags.append(match[2])
        elif not open_tags or open_tags.pop() != match[2]:
            return False
    return not open_tags


def _split_trailing(url: str) -> tuple[str, str]:
    """`https://x.org/a).` is the link `https://x.org/a` followed by `).`, as Slack reads it."""
    end = len(url)
    while end > 0 and url[end - 1] in _TRAILING_PUNCTUATION:
        if url[end - 1] == ")" and url.count("(", 0, end) >= url.count(")", 0, end):
            break
        end -= 1
    return url[:end], url[end:]


def render_control(body: str, names: Names) -> Markup:
    """The inside of `<…>`: a mention, a broadcast, a link; anything else is shown as typed."""
    target, _, label = body.partition("|")
    label = unescape_slack(label)
    if target.startswith("@"):
        user_id = target[1:]
        return Markup('<span class="bk-mention" data-user-id="{}">@{}</span>').format(
            user_id, names.user(user_id, label.lstrip("@"))
        )
    if target.startswith("#"):
        channel_id = target[1:]
        return Markup('<span class="bk-mention bk-channel" data-channel-id="{}">#{}</span>').format(
            channel_id, names.channel(channel_id, label.lstrip("#"))
        )
    if target.startswith("!"):
        return Markup('<span class="bk-mention bk-broadcast">{}</span>').format(
            _special_words(target[1:], label)
        )
    url = unescape_slack(target)
    if _SAFE_SCHEME.match(url):
        return _link(url, label or url)
    # Never a link to `javascript:` or the like: its label, or what was typed, as text.
    return escape(label or unescape_slack(f"<{body}>"))


def _control_words(body: str, names: Names) -> str:
    """What a control sequence reads as, for code where nothing is a link."""
    return render_control(body, names).striptags()


def _special_words(command: str, label: str) -> str:
    """`<!here>`, `<!subteam^S1|@team>`, `<!date^…|fallback>`."""
    name = command.split("^", 1)[0]
    return label if label and name not in _BROADCASTS else f"@{name}"


def _link(url: str, label: str) -> Markup:
    return Markup(
        '<a class="bk-link" href="{}" target="_blank" rel="noopener noreferrer">{}</a>'
    ).format(url, label)


def _substitute(
    text: str,
    special: Callable[[re.Match[str]], str | None],
    plain: Callable[[str], str],
    tokens: re.Pattern[str] = _INLINE,
) -> str:
    """`text` with each special token rendered by `special` (None: not special after all), and
    the text around them by `plain`; both must return safe HTML."""
    parts: list[str] = []
    position = 0
    for match in tokens.finditer(text):
        shown = special(match)
        if shown is None:
            continue
        parts.append(plain(text[position : match.start()]))
        parts.append(shown)
        position = match.end()
    parts.append(plain(text[position:]))
    return "".join(parts)
