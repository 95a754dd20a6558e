"""Block Kit to HTML, as pure functions: each block and element as Slack shows it, and a
labelled placeholder for what is not supported."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workspace.blockkit_html import Element, parse
from workspace.blockkit import Names, render_message, render_view, with_slack_ids

NAMES = Names(users={"U1ANA": "Ana Lopez"}, channels={"C1TEACH": "lincoln-teachers"})


def plain(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, **extra}


def mrkdwn(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text, **extra}


def button(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": "go", **extra}


def rendered(*blocks: Any, **message: Any) -> Element:
    return parse(render_message({"text": "fallback", "blocks": list(blocks), **message}, NAMES))


@pytest.mark.parametrize(
    ("block", "tag", "text"),
    [
        (
            {"type": "header", "text": plain("Phase 3 · Tools & Teams")},
            "h3",
            "Phase 3 · Tools & Teams",
        ),
        ({"type": "header", "text": plain("Done :tada:", emoji=True)}, "h3", "Done 🎉"),
        ({"type": "header", "text": plain("Done :tada:")}, "h3", "Done 🎉"),
        ({"type": "header", "text": plain("Done :tada:", emoji=False)}, "h3", "Done :tada:"),
        ({"type": "header", "text": plain("`:tada:` <b>")}, "h3", "`🎉` <b>"),
        ({"type": "section", "text": mrkdwn("*3.8* next")}, "strong", "3.8"),
        ({"type": "section", "text": plain("*not bold*")}, "div", "*not bold*"),
        ({"type": "section", "text": plain("a <b> & c")}, "div", "a <b> & c"),
        ({"type": "context", "elements": [mrkdwn("_small_")]}, "em", "small"),
        # Slack refuses mrkdwn in a header; shown as its text rather than lost.
        ({"type": "header", "text": mrkdwn("*Big*")}, "h3", "*Big*"),
    ],
)
def test_text_blocks(block: dict[str, Any], tag: str, text: str) -> None:
    root = rendered(block)
    assert text in [e.text for e in root.find_all(tag)]


def test_a_section_with_fields_and_a_button() -> None:
    block = {
        "type": "section",
        "block_id": "move-3.8",
        "text": mrkdwn("*3.8* Teacher sets directions"),
        "fields": [mrkdwn("*Phase*\n3"), mrkdwn("*Role*\nTeacher")],
        "accessory": button("Mark done", value="C1|1.0001", style="primary"),
    }
    root = rendered(block)
    [section] = root.find_all(css_class="bk-section")
    assert section.attrs["data-block-id"] == "move-3.8"
    assert [f.text for f in section.find_all(css_class="bk-field")] == ["Phase3", "RoleTeacher"]
    [shown] = section.find_all("button")
    assert shown.accessible_name() == "Mark done"
    assert shown.attrs == {
        "type": "button",
        "class": "bk-button bk-button-primary",
        "data-action-id": "go",
        "data-block-id": "move-3.8",
        "data-value": "C1|1.0001",
    }


def test_an_image_accessory_and_context_images_have_their_alt_text() -> None:
    section = {
        "type": "section",
        "text": mrkdwn("x"),
        "accessory": {"type": "image", "image_url": "https://x.org/a.png", "alt_text": "A chart"},
    }
    context = {
        "type": "context",
        "elements": [
            {"type": "image", "image_url": "https://x.org/i.png", "alt_text": "Lincoln logo"},
            plain("Lincoln High"),
        ],
    }
    root = rendered(section, context)
    assert [(i.attrs["src"], i.attrs["alt"]) for i in root.find_all("img")] == [
        ("https://x.org/a.png", "A chart"),
        ("https://x.org/i.png", "Lincoln logo"),
    ]
    assert "Lincoln High" in root.find_all(css_class="bk-context")[0].text


def test_an_image_block_is_a_figure_with_its_title() -> None:
    block = {
        "type": "image",
        "image_url": "https://x.org/p.png",
        "alt_text": "Progress by phase",
        "title": plain("Progress"),
    }
    [figure] = rendered(block).find_all("figure")
    assert figure.find_all("figcaption")[0].text == "Progress"
    assert figure.find_all("img")[0].attrs["alt"] == "Progress by phase"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "data:image/png;base64,xx", "//x.org/a.png", "file:///etc/passwd"],
)
def test_an_image_from_anywhere_but_the_web_is_not_loaded_but_described(url: str) -> None:
    root = rendered({"type": "image", "image_url": url, "alt_text": "A chart"})
    assert not root.find_all("img")
    [missing] = root.find_all(css_class="bk-image-missing")
    assert missing.attrs["role"] == "img" and missing.attrs["aria-label"] == "A chart"


def test_a_divider_is_a_rule() -> None:
    assert (
        rendered({"type": "divider", "block_id": "d1"}).find_all("hr")[0].attrs["data-block-id"]
        == "d1"
    )


def test_actions_are_buttons_in_order_with_their_styles() -> None:
    block = {
        "type": "actions",
        "block_id": "share",
        "elements": [
            button("Share in channel", action_id="share_reply", value="phase 3"),
            button("Stop", action_id="stop", style="danger"),
            button("Plain", action_id="plain", style="nonsense"),
            button("Open guide", action_id="open", url="https://x.org/guide"),
        ],
    }
    root = rendered(block)
    shown = [e for e in root.iter() if "bk-button" in e.classes]
    assert [(e.tag, e.accessible_name(), e.attrs["data-action-id"]) for e in shown] == [
        ("button", "Share in channel", "share_reply"),
        ("button", "Stop", "stop"),
        ("button", "Plain", "plain"),
        ("a", "Open guide", "open"),
    ]
    assert all(e.attrs["data-block-id"] == "share" for e in shown)
    assert shown[0].attrs["data-value"] == "phase 3"
    assert "data-value" not in shown[1].attrs  # no value sent, none in the payload either
    assert shown[1].classes == {"bk-button", "bk-button-danger"}
    assert shown[2].classes == {"bk-button"}
    assert shown[3].attrs["href"] == "https://x.org/guide"
    assert shown[3].attrs["rel"] == "noopener noreferrer"


def test_a_buttons_accessibility_label_is_its_name() -> None:
    root = rendered(
        {"type": "actions", "elements": [button("✅", accessibility_label="Mark 3.8 done")]}
    )
    assert root.find_all("button")[0].accessible_name() == "Mark 3.8 done"


def test_a_button_with_an_unsafe_url_stays_a_button() -> None:
    root = rendered({"type": "actions", "elements": [button("Go", url="javascript:alert(1)")]})
    assert not root.find_all("a") and root.find_all("button")


@pytest.mark.parametrize(
    ("blocks", "label"),
    [
        ([{"type": "input", "element": {}, "label": plain("Name")}], "Unsupported block: input"),
        ([{"type": "file", "external_id": "x", "source": "remote"}], "Unsupported block: file"),
        ([{"type": "video", "title": plain("v")}], "Unsupported block: video"),
        ([{"type": "table", "rows": []}], "Unsupported block: table"),
        ([{"type": "markdown", "text": "**x**"}], "Unsupported block: markdown"),
        ([{"type": "hologram"}], "Unsupported block: hologram"),
        ([{"no": "type"}], "Unsupported block: None"),
        (["a string"], "Unsupported block: str"),
        ([{"type": "section"}], "Unsupported block: section (malformed)"),
        ([{"type": "header"}], "Unsupported block: header (malformed)"),
        ([{"type": "actions"}], "Unsupported block: actions (malformed)"),
        ([{"type": "context", "elements": "x"}], "Unsupported block: context (malformed)"),
        (
            [{"type": "actions", "elements": [{"type": "static_select", "action_id": "s"}]}],
            "Unsupported element: static_select",
        ),
        (
            [{"type": "section", "text": mrkdwn("x"), "accessory": {"type": "overflow"}}],
            "Unsupported element: overflow",
        ),
        (
            [{"type": "actions", "elements": [{"type": "datepicker"}, button("")]}],
            "Unsupported element: datepicker",
        ),
        (
            [{"type": "actions", "elements": [button("")]}],
            "Unsupported element: button with no text",
        ),
        (
            [{"type": "section", "text": {"type": "markdown", "text": "x"}}],
            "Unsupported text: markdown",
        ),
        ([{"type": "section", "text": "bare string"}], "Unsupported text: str"),
        ([{"type": "context", "elements": [{"type": "video"}]}], "Unsupported element: video"),
    ],
)
def test_what_is_not_supported_is_shown_labelled_never_dropped(
    blocks: list[Any], label: str
) -> None:
    root = rendered(*blocks, {"type": "section", "text": mrkdwn("after")})
    notes = root.find_all(css_class="bk-unsupported")
    assert label in [note.text for note in notes]
    assert all(note.attrs["role"] == "note" for note in notes)
    assert "after" in root.text  # the rest of the message is still there


@pytest.mark.parametrize(
    ("message", "text"),
    [
        ({"text": "hello *there* <@U1ANA>"}, "hello there @Ana Lopez"),
        ({"text": "hello *there*", "blocks": []}, "hello there"),
        ({"text": "hello *there*", "mrkdwn": False}, "hello *there*"),
        ({"text": "blocks win", "blocks": [{"type": "divider"}]}, ""),
        (
            {
                "text": "x",
                "blocks": '[{"type": "header", "text": {"type": "plain_text", "text": "J"}}]',
            },
            "J",
        ),
        ({"text": "hello *there*", "blocks": "[]"}, "hello there"),
        ({}, ""),
    ],
)
def test_a_message_without_blocks_shows_its_text(message: dict[str, Any], text: str) -> None:
    root = parse(render_message(message, NAMES))
    assert root.text == text
    assert root.find_all(css_class="bk-message")


def test_attachments_show_their_colour_text_and_fields() -> None:
    message = {
        "text": "",
        "attachments": [
            {
                "color": "danger",
                "pretext": "Heads up",
                "title": "Failed",
                "text": "*3* channels",
                "fields": [{"title": "Why", "value": "not_in_channel", "short": True}],
                "footer": "progression",
            },
            {"color": "#36a64f", "blocks": [{"type": "section", "text": mrkdwn("in blocks")}]},
            {"fallback": "only a fallback", "color": "red; background: url(x)"},
        ],
    }
    root = parse(render_message(message, NAMES))
    bars = root.find_all(css_class="bk-attachment")
    assert [bar.attrs.get("style") for bar in bars] == [
        "border-left-color: #e01e5a",
        "border-left-color: #36a64f",
        None,
    ]
    assert [e.text for e in bars[0].find_all("strong")] == ["3", "Why"]
    assert "Heads up" in bars[0].text and "in blocks" in bars[1].text
    assert bars[2].text == "only a fallback"


def test_rich_text_as_slacks_composer_sends_it() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi "},
                    {"type": "user", "user_id": "U1ANA"},
                    {"type": "text", "text": " see ", "style": {"bold": True}},
                    {"type": "link", "url": "https://x.org", "text": "the guide"},
                    {"type": "emoji", "name": "tada"},
                    {"type": "channel", "channel_id": "C1TEACH"},
                    {"type": "broadcast", "range": "here"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "ordered",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "two"}]},
                ],
            },
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "a  b"}]},
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "said"}]},
        ],
    }
    root = rendered(block)
    assert root.find_all("p")[0].text == "Hi @Ana Lopez see the guide🎉#lincoln-teachers@here"
    assert [li.text for li in root.find_all("ol")[0].find_all("li")] == ["one", "two"]
    assert root.find_all("pre")[0].text == "a  b"
    assert root.find_all("blockquote")[0].text == "said"
    assert root.find_all("strong")[0].text == " see "
    assert root.find_all("a")[0].attrs["href"] == "https://x.org"


def test_an_app_home_view() -> None:
    view = {
        "type": "home",
        "blocks": [{"type": "header", "text": plain("Distance Learning Progression")}],
    }
    root = parse(render_view(view, NAMES))
    assert root.find_all(css_class="bk-view-home")
    assert [h.text for h in root.find_all("h2")] == ["Distance Learning Progression"]


def test_ids_are_filled_in_as_slack_does_and_the_page_shows_them() -> None:
    message: dict[str, Any] = {
        "text": "x",
        "blocks": [
            {"type": "section", "text": mrkdwn("a"), "accessory": button("A", action_id="")},
            {
                "type": "actions",
                "block_id": "mine",
                "elements": [{**button("B"), "action_id": "b"}],
            },
            {"type": "actions", "elements": [{"type": "button", "text": plain("C")}]},
        ],
    }
    stored = with_slack_ids(message)
    assert message["blocks"][0].get("block_id") is None  # the app's dict is left alone
    ids = [block["block_id"] for block in stored["blocks"]]
    assert ids[1] == "mine" and len(set(ids)) == 3 and all(ids)
    assert stored["blocks"][1]["elements"][0]["action_id"] == "b"
    assert stored["blocks"][0]["accessory"]["action_id"]
    assert stored["blocks"][2]["elements"][0]["action_id"]
    # Rendering the app's message or the stored one shows the same ids: a click on either
    # sends the ids that the stored message holds.
    for payload in (message, stored):
        shown = parse(render_message(payload, NAMES)).find_all("button")
        assert [(b.attrs["data-block-id"], b.attrs["data-action-id"]) for b in shown] == [
            (ids[0], stored["blocks"][0]["accessory"]["action_id"]),
            (ids[1], "b"),
            (ids[2], stored["blocks"][2]["elements"][0]["action_id"]),
        ]


HOSTILE = '"><script>alert(1)</script><b x="'


@pytest.mark.parametrize(
    "block",
    [
        {"type": "header", "text": plain(HOSTILE)},
        {"type": "section", "block_id": HOSTILE, "text": plain(HOSTILE)},
        {"type": "section", "text": mrkdwn(HOSTILE), "fields": [plain(HOSTILE)]},
        {"type": "image", "image_url": "https://x.org/" + HOSTILE, "alt_text": HOSTILE},
        {"type": "context", "elements": [{"type": "image", "image_url": HOSTILE, "alt_text": "x"}]},
        {
            "type": "actions",
            "block_id": HOSTILE,
            "elements": [button(HOSTILE, action_id=HOSTILE, value=HOSTILE, style=HOSTILE)],
        },
        {"type": "actions", "elements": [button("x", url="https://x.org/" + HOSTILE)]},
        {"type": HOSTILE},
        {
            "type": "rich_text",
            "elements": [
                {"type": "rich_text_section", "elements": [{"type": "text", "text": HOSTILE}]}
            ],
        },
    ],
)
def test_what_the_app_sends_never_becomes_markup(block: dict[str, Any]) -> None:
    root = rendered(block)
    assert not root.find_all("script") and not root.find_all("b")
    for element in root.iter():
        assert not any(name.startswith("on") for name in element.attrs)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
BLOCKS = st.lists(
    st.fixed_dictionaries(
        {
            "type": st.sampled_from(
                [
                    "section",
                    "header",
                    "context",
                    "actions",
                    "image",
                    "divider",
                    "rich_text",
                    "input",
                ]
            )
        },
        optional={
            "text": JSON | st.builds(mrkdwn, st.text(max_size=30)),
            "fields": st.lists(JSON, max_size=3),
            "elements": st.lists(JSON | st.builds(button, st.text(max_size=10)), max_size=3),
            "accessory": JSON,
            "block_id": JSON,
            "image_url": JSON,
            "alt_text": JSON,
        },
    )
    | JSON,
    max_size=5,
)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(BLOCKS, JSON)
def test_any_payload_renders_without_failing(blocks: list[Any], text: Any) -> None:
    """What a person's app sends may be wrong in any way: the page shows it, and shows why."""
    parse(render_message({"blocks": blocks, "text": text, "attachments": blocks}, NAMES))
    parse(render_view({"type": "home", "blocks": blocks}, NAMES))


@pytest.mark.parametrize("module", ["blockkit", "mrkdwn_html"])
def test_rendering_knows_nothing_of_the_app(module: str) -> None:
    """Slack does not import the app: the renderer sees only what the app sends."""
    source = (Path(__file__).parents[2] / "workspace" / f"{module}.py").read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert not imported & {"bot", "progression", "scheduler", "store", "tests"}
    assert imported - sys.stdlib_module_names <= {"markupsafe", "emoji", "workspace"}
