"""mrkdwn to HTML, as pure functions: what Slack shows for each construct, and nothing injected."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workspace.blockkit_html import parse, visible
from workspace.mrkdwn_html import Names, emoji_for, render_mrkdwn

# What mrkdwn may produce, and the attributes each element may carry: nothing else, ever.
ALLOWED = {
    "p": {"class"},
    "br": set(),
    "strong": set(),
    "em": set(),
    "del": set(),
    "code": {"class"},
    "pre": {"class"},
    "blockquote": {"class"},
    "ul": {"class"},
    "ol": {"class"},
    "li": {"value", "class"},
    "span": {"class", "title", "data-user-id", "data-channel-id", "aria-hidden"},
    "a": {"class", "href", "target", "rel"},
}

NAMES = Names(
    users={"U1ANA": "Ana Lopez", "U2EVIL": "<img src=x onerror=alert(1)>"},
    channels={"C1TEACH": "lincoln-teachers"},
)


def shown(text: str, verbatim: bool = False) -> str:
    return str(render_mrkdwn(text, NAMES, verbatim=verbatim))


def assert_only_our_markup(markup: str) -> None:
    for element in parse(markup).iter()[1:]:
        assert element.tag in ALLOWED, f"<{element.tag}> in {markup}"
        assert set(element.attrs) <= ALLOWED[element.tag], f"{element.attrs} in {markup}"
        if "href" in element.attrs:
            assert re.match(r"(https?://|mailto:|tel:)", element.attrs["href"], re.IGNORECASE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("*bold*", "<strong>bold</strong>"),
        ("_italic_", "<em>italic</em>"),
        ("~strike~", "<del>strike</del>"),
        ("`code`", '<code class="bk-code">code</code>'),
        ("a *b* c _d_ e", "a <strong>b</strong> c <em>d</em> e"),
        ("*_both_*", "<strong><em>both</em></strong>"),
        ("(*in parens*)", "(<strong>in parens</strong>)"),
        ("*Next move:* do it", "<strong>Next move:</strong> do it"),
        ("`*not bold*`", '<code class="bk-code">*not bold*</code>'),
        ("`a &lt;b&gt; &amp; c`", '<code class="bk-code">a &lt;b&gt; &amp; c</code>'),
    ],
)
def test_emphasis_and_code(text: str, expected: str) -> None:
    assert expected in shown(text)


@pytest.mark.parametrize(
    "text",
    [
        "snake_case_name",
        "2 * 3 * 4",
        "* not bold *",
        "a*b*c",
        "_ spaced _",
        "~ x ~",
        "file_name_here.txt",
        "*unclosed",
        "*across\nlines*",
    ],
)
def test_markers_that_slack_leaves_as_text(text: str) -> None:
    out = shown(text)
    assert "<strong>" not in out and "<em>" not in out and "<del>" not in out
    assert visible(out).replace("\n", "") == text.replace("\n", "")


def test_pre_keeps_its_text_as_written() -> None:
    out = shown("before\n```P1   ✓  ·\n  *x* <@U1ANA>```\nafter")
    assert '<pre class="bk-pre">P1   ✓  ·\n  *x* @Ana Lopez</pre>' in out
    assert out.index("before") < out.index("<pre") < out.index("after")


@pytest.mark.parametrize("marker", ["> ", ">", "&gt; "])
def test_quotes(marker: str) -> None:
    out = shown(f"intro\n{marker}quoted *line*\n{marker}second\nafter")
    assert '<blockquote class="bk-quote">quoted <strong>line</strong><br>second</blockquote>' in out
    assert visible(out.split("<blockquote")[0]) == "intro"


@pytest.mark.parametrize("marker", [">>>", "&gt;&gt;&gt;", ">>> "])
def test_a_long_quote_takes_the_rest(marker: str) -> None:
    out = shown(f"intro\n{marker}one *a*\ntwo\n```code```\nthree")
    quote = parse(out).find_all("blockquote")
    assert len(quote) == 1
    assert quote[0].text == "one atwocodethree"
    assert [e.tag for e in quote[0].children if not isinstance(e, str)] == ["p", "pre", "p"]
    assert visible(out).startswith("intro")


def test_a_long_quote_inside_code_is_code() -> None:
    out = shown("```\n>>> not a quote\n```")
    assert "<blockquote" not in out and "&gt;&gt;&gt; not a quote" in out


@pytest.mark.parametrize("marker", ["•", "-", "◦"])
def test_bullet_lists_keep_their_marker_in_a_list(marker: str) -> None:
    out = shown(f"Breaks:\n{marker} one\n{marker} *two*")
    items = re.findall(r"<li>(.*?)</li>", out)
    assert len(items) == 2 and "<ul" in out
    assert [visible(item) for item in items] == [f"{marker}one", f"{marker}two"]
    assert "<strong>two</strong>" in items[1]


def test_nested_items_keep_their_depth() -> None:
    out = shown("• top\n    • nested\n  1. half")
    assert [li.attrs.get("class") for li in parse(out).find_all("li")] == [
        None,
        "bk-indent-2",
        "bk-indent-1",
    ]


def test_numbered_lists() -> None:
    out = shown("1. first\n2. second\n10) tenth")
    assert "<ol" in out
    assert re.findall(r'<li value="(\d+)">', out) == ["1", "2", "10"]
    assert visible(out) == "1.first2.second10)tenth"


def test_lines_and_paragraphs() -> None:
    out = shown("one\ntwo\n\nthree")
    assert out == '<p class="bk-p">one<br>two</p><p class="bk-p">three</p>'


@pytest.mark.parametrize(
    ("text", "href", "label"),
    [
        ("<https://example.org/a?b=1&amp;c=2|a label>", "https://example.org/a?b=1&c=2", "a label"),
        ("<https://example.org>", "https://example.org", "https://example.org"),
        ("<mailto:a@example.org|write>", "mailto:a@example.org", "write"),
        ("see https://example.org/x.", "https://example.org/x", "https://example.org/x"),
        ("(https://example.org/wiki/A_(b))", "https://example.org/wiki/A_(b)", None),
        ("<https://x.org|*bold* &amp; co>", "https://x.org", "*bold* & co"),
    ],
)
def test_links(text: str, href: str, label: str | None) -> None:
    out = shown(text)
    links = re.findall(r'<a class="bk-link" href="([^"]*)"[^>]*>(.*?)</a>', out)
    assert [html.unescape(found) for found, _ in links] == [href]
    assert 'rel="noopener noreferrer"' in out
    if label is not None:
        assert visible(links[0][1]) == label


def test_verbatim_leaves_bare_urls_as_text() -> None:
    assert "<a " not in shown("see https://example.org", verbatim=True)
    assert "<a " in shown("see <https://example.org>", verbatim=True)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<@U1ANA>", "@Ana Lopez"),
        ("<@U9UNKNOWN>", "@U9UNKNOWN"),
        ("<@U9UNKNOWN|sam>", "@sam"),
        ("<#C1TEACH>", "#lincoln-teachers"),
        ("<#C1TEACH|old-name>", "#lincoln-teachers"),
        ("<#C9GONE>", "#C9GONE"),
        ("<#C9GONE|general>", "#general"),
        ("<!here>", "@here"),
        ("<!channel>", "@channel"),
        ("<!everyone>", "@everyone"),
        ("<!subteam^S1|@leaders>", "@leaders"),
        ("<!date^1392734382^{date_short}|Feb 18, 2014>", "Feb 18, 2014"),
    ],
)
def test_mentions_read_as_names(text: str, expected: str) -> None:
    out = shown(f"hi {text}!")
    assert visible(out) == f"hi {expected}!"
    assert 'class="bk-mention' in out


@pytest.mark.parametrize(
    ("name", "emoji"),
    [
        ("white_check_mark", "✅"),
        ("heavy_check_mark", "✔️"),
        ("ballot_box_with_check", "☑️"),
        ("tada", "🎉"),
        ("thinking_face", "🤔"),
        ("warning", "⚠️"),
        ("arrow_right", "➡️"),
        ("grey_question", "❔"),
        ("+1", "👍"),
        ("thumbsup", "👍"),
        ("wave::skin-tone-3", "👋🏼"),
        ("+1::skin-tone-6", "👍🏿"),
        ("man-facepalming", "🤦‍♂️"),
        ("man-facepalming::skin-tone-3", "🤦🏼‍♂"),
        ("male-teacher", "👨‍🏫"),
        ("female-teacher", "👩‍🏫"),
        ("flag-us", "🇺🇸"),
        ("simple_smile", "🙂"),
        ("large_green_circle", "🟢"),
        ("school", "🏫"),
        ("books", "📚"),
    ],
)
def test_emoji_shortcodes(name: str, emoji: str) -> None:
    out = shown(f"done :{name}: now")
    assert visible(out) == f"done {emoji} now"
    assert f'title=":{name}:"' in out


@pytest.mark.parametrize(
    "text", [":not_an_emoji_name:", "at 08:00 (UTC):", "ratio 1:2:3", "`:tada:`"]
)
def test_what_is_not_an_emoji_stays_as_written(text: str) -> None:
    assert visible(shown(text)) == text.strip("`")


def test_emoji_for_a_reaction_name() -> None:
    assert emoji_for("white_check_mark") == "✅"
    assert emoji_for(":tada:") == "🎉"
    assert emoji_for("no_such_emoji") is None


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "<javascript:alert(1)|click me>",
        "<javascript:alert(1)>",
        "<data:text/html,<b>x</b>|x>",
        '<https://x.org" onmouseover="alert(1)|x>',
        "*<img src=x onerror=alert(1)>*",
        "`<img src=x onerror=alert(1)>`",
        "```<iframe src=javascript:alert(1)>```",
        "<@U2EVIL>",
        '_" onclick="alert(1)_',
        'https://x.org/"><script>alert(1)</script>',
        ':tada:"><script>',
    ],
)
def test_text_from_people_never_becomes_markup(text: str) -> None:
    out = shown(text)
    assert_only_our_markup(out)
    assert "<script" not in out.lower() and "<img" not in out.lower()


@settings(deadline=None)
@given(st.text(max_size=200))
def test_any_text_renders_to_only_our_markup(text: str) -> None:
    assert_only_our_markup(shown(text))


SLACKISH = st.lists(
    st.sampled_from(
        [
            "*",
            "_",
            "~",
            "`",
            "```",
            "<",
            ">",
            "|",
            "&gt;",
            "&amp;",
            "\n",
            "\n\n",
            " ",
            "•",
            "1.",
            ":tada:",
            ":",
            "<@U1ANA>",
            "<#C1TEACH>",
            "https://x.org/a",
            "<https://x.org|x>",
            "word",
            '"',
            "'",
            "<!here>",
            "&lt;b&gt;",
        ]
    ),
    max_size=30,
).map("".join)


@settings(deadline=None)
@given(SLACKISH)
def test_any_mix_of_slack_constructs_renders_to_only_our_markup(text: str) -> None:
    assert_only_our_markup(shown(text))
