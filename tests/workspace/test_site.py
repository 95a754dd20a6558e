"""The workspace's views and its Web API through an ASGI test client: Slack's answers and
errors, response_urls, and the page a person sees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from workspace import district
from workspace.clock import WorkspaceClock
from workspace.people_act import Acts
from workspace.site import create_site
from workspace.site_state import Site
from workspace.socket_mode import SocketMode
from workspace.state import BOT_USER_ID, Workspace
from workspace.web_api import APP_TOKEN, BOT_TOKEN, Responder, WebAPI

NEXT = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)
NEXT_DIGEST = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)


class FixedControls:
    def __init__(self) -> None:
        self.jumps = 0
        self.digest_jumps = 0

    def next_nudge(self) -> datetime | None:
        return NEXT.astimezone(WorkspaceZone)

    def next_digest(self) -> datetime | None:
        return NEXT_DIGEST.astimezone(WorkspaceZone)

    def jump_to_next_nudge(self) -> datetime | None:
        self.jumps += 1
        return NEXT

    def jump_to_next_digest(self) -> datetime | None:
        self.digest_jumps += 1
        return NEXT_DIGEST

    def start_over(self) -> None:
        return None


from zoneinfo import ZoneInfo  # noqa: E402

WorkspaceZone = ZoneInfo("America/Chicago")


@pytest.fixture
def site() -> Site:
    workspace = Workspace(WorkspaceClock())
    workspace.reset(district.PEOPLE, district.CHANNELS)
    socket_mode = SocketMode(workspace)
    web_api = WebAPI(workspace, lambda: "ws://127.0.0.1:1/link/")
    acts = Acts(workspace, web_api, socket_mode, "http://testserver/")
    return Site(workspace, web_api, socket_mode, acts, FixedControls(), "phase 3 · 3.8 · help")


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_site(site)) as client:
        yield client


def call(client: TestClient, method: str, token: str = BOT_TOKEN, **args: Any) -> dict[str, Any]:
    answer = client.post(f"/api/{method}", data=args, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    result: dict[str, Any] = answer.json()
    return result


def page(client: TestClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200
    return answer.text


def test_the_front_page_opens_the_teachers_channel_as_the_first_person(client: TestClient) -> None:
    answer = client.get("/", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/c/{district.TEACHERS.id}?as={district.ADMIN.id}"


def test_the_channel_page_has_named_navigation_a_labelled_box_and_the_usage_hint(
    client: TestClient,
) -> None:
    html = page(client, f"/c/{district.TEACHERS.id}?as={district.TEACHER.id}")
    assert '<nav class="sidebar" aria-label="Channels">' in html
    for channel in district.CHANNELS:
        assert f">#{channel.name}</a>" in html
    assert (
        '<label for="message-box" class="visually-hidden">Message #lincoln-teachers</label>' in html
    )
    assert "phase 3 · 3.8 · help" in html
    assert "Next nudge: <strong>Monday 7 December 2026 at 08:00 (America/Chicago)</strong>" in html
    assert f'<option value="{district.TEACHER.id}" selected>' in html


def test_the_favicon_is_the_workspaces_logo_where_browsers_ask_for_it(client: TestClient) -> None:
    for path in ("/favicon.ico", "/static/favicon.svg"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("image/svg+xml")
    html = page(client, f"/c/{district.TEACHERS.id}")
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html


def test_an_unknown_channel_is_404(client: TestClient) -> None:
    assert client.get("/c/C0NOPE").status_code == 404


@pytest.mark.parametrize(
    ("method", "token", "error"),
    [
        ("auth.test", "", "not_authed"),
        ("auth.test", "xoxb-wrong", "invalid_auth"),
        ("chat.postMessage", APP_TOKEN, "not_allowed_token_type"),
        ("apps.connections.open", BOT_TOKEN, "not_allowed_token_type"),
        ("chat.unknownThing", BOT_TOKEN, "unknown_method"),
    ],
)
def test_tokens_and_methods_are_refused_as_slack_refuses_them(
    client: TestClient, method: str, token: str, error: str
) -> None:
    assert call(client, method, token=token, channel=district.TEACHERS.id, text="x") == {
        "ok": False,
        "error": error,
    }


def test_auth_test_and_connections_open_answer_the_app(client: TestClient) -> None:
    identity = call(client, "auth.test")
    assert identity["ok"] and identity["user_id"] == BOT_USER_ID
    assert call(client, "apps.connections.open", token=APP_TOKEN)["url"].startswith("ws://")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        ({"channel": "C0NOPE", "text": "hi"}, "channel_not_found"),
        ({"channel": district.TEACHERS.id}, "no_text"),
    ],
)
def test_a_post_slack_would_refuse_is_refused(
    client: TestClient, args: dict[str, str], error: str
) -> None:
    assert call(client, "chat.postMessage", **args)["error"] == error


def test_faults_asked_of_the_workspace_reach_the_app_and_the_developer_view(
    client: TestClient, site: Site
) -> None:
    site.web_api.faults.rate_limit("chat.postMessage", retry_after=3)
    site.web_api.faults.fail("chat.postMessage", "not_in_channel")
    args = {"channel": district.TEACHERS.id, "text": "hi"}
    headers = {"Authorization": f"Bearer {BOT_TOKEN}"}
    limited = client.post("/api/chat.postMessage", data=args, headers=headers)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    assert call(client, "chat.postMessage", **args) == {"ok": False, "error": "not_in_channel"}
    assert call(client, "chat.postMessage", **args)["ok"] is True
    assert site.workspace.count(district.TEACHERS.id) == 1  # refused posts never landed
    assert "not_in_channel" in page(client, "/developer")


def test_a_posted_message_shows_and_an_update_replaces_it_on_the_page(client: TestClient) -> None:
    posted = call(client, "chat.postMessage", channel=district.TEACHERS.id, text="First words")
    assert posted["ok"] and posted["message"]["text"] == "First words"
    fragment = f"/fragment/messages?channel={district.TEACHERS.id}&as={district.TEACHER.id}"
    assert "First words" in page(client, fragment)

    updated = call(client, "chat.update", channel=district.TEACHERS.id, ts=posted["ts"], text="New")
    assert updated["ok"] and updated["ts"] == posted["ts"]
    html = page(client, fragment)
    assert "New" in html and "First words" not in html and "(edited)" in html

    assert call(client, "chat.update", channel=district.TEACHERS.id, ts="1.2", text="x") == {
        "ok": False,
        "error": "message_not_found",
    }
    assert call(client, "chat.delete", channel=district.TEACHERS.id, ts=posted["ts"])["ok"]
    assert "New" not in page(client, fragment)


def test_an_ephemeral_message_is_only_visible_to_its_person(client: TestClient) -> None:
    answer = call(
        client,
        "chat.postEphemeral",
        channel=district.TEACHERS.id,
        user=district.TEACHER.id,
        text="Just for Priya",
    )
    assert answer["ok"] and answer["message_ts"]
    fragment = f"/fragment/messages?channel={district.TEACHERS.id}&as="
    mine = page(client, fragment + district.TEACHER.id)
    assert "Just for Priya" in mine and "Only visible to you" in mine
    assert "Just for Priya" not in page(client, fragment + district.SECOND_TEACHER.id)


def test_reactions_are_named_buttons_with_their_count(client: TestClient, site: Site) -> None:
    posted = call(client, "chat.postMessage", channel=district.TEACHERS.id, text="A nudge")
    site.workspace.toggle_reaction(
        district.TEACHERS.id, posted["ts"], "white_check_mark", district.TEACHER.id
    )
    html = page(
        client, f"/fragment/messages?channel={district.TEACHERS.id}&as={district.TEACHER.id}"
    )
    assert 'aria-pressed="true" aria-label="React with white check mark, 1"' in html
    assert 'aria-label="React with tada, 0"' in html
    assert 'aria-label="React with thumbs up, 0"' in html


def test_users_info_says_who_is_an_admin(client: TestClient) -> None:
    admin = call(client, "users.info", user=district.ADMIN.id)["user"]
    teacher = call(client, "users.info", user=district.TEACHER.id)["user"]
    assert admin["is_admin"] and not teacher["is_admin"]
    assert call(client, "users.info", user="U0NOBODY")["error"] == "user_not_found"


def test_a_direct_message_lands_in_the_app_home_messages(client: TestClient) -> None:
    opened = call(client, "conversations.open", users=district.PRINCIPAL.id)
    channel = opened["channel"]["id"]
    assert call(client, "chat.postMessage", channel=channel, text="A channel is gone")["ok"]
    assert call(client, "conversations.info", channel=channel)["channel"]["is_im"]
    assert "A channel is gone" in page(client, f"/fragment/home?as={district.PRINCIPAL.id}")


def test_views_publish_is_the_persons_home_tab(client: TestClient) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Your progress"}}
    view = json.dumps({"type": "home", "blocks": [section]})
    published = call(client, "views.publish", user_id=district.TEACHER.id, view=view)
    assert published["ok"] and published["view"]["type"] == "home"
    assert "Your progress" in page(client, f"/home?as={district.TEACHER.id}")
    assert "Your progress" not in page(client, f"/fragment/home?as={district.COACH.id}")
    bad = call(client, "views.publish", user_id=district.TEACHER.id, view='{"type": "modal"}')
    assert bad["error"] == "invalid_arguments"


def test_a_response_url_replies_privately_or_in_the_channel(client: TestClient, site: Site) -> None:
    url = site.web_api.new_response_url(
        "http://testserver/", Responder(district.TEACHER.id, district.TEACHERS.id)
    )
    path = url.removeprefix("http://testserver")
    assert client.post(path, json={"text": "Private answer"}).json() == {"ok": True}
    assert client.post(path, json={"text": "Shared answer", "response_type": "in_channel"}).json()[
        "ok"
    ]
    fragment = f"/fragment/messages?channel={district.TEACHERS.id}&as={district.SECOND_TEACHER.id}"
    other = page(client, fragment)
    assert "Shared answer" in other and "Private answer" not in other
    assert client.post("/response/999999", json={"text": "x"}).status_code == 404


def test_the_developer_view_lists_calls_with_arguments_and_answers(client: TestClient) -> None:
    call(client, "chat.postMessage", channel="C0NOPE", text="lost")
    html = page(client, "/developer")
    assert "chat.postMessage" in html and "channel_not_found" in html and "lost" in html
    assert BOT_TOKEN not in html


def test_socket_mode_says_hello_and_a_command_without_the_app_is_refused(
    client: TestClient,
) -> None:
    answer = client.post(
        "/act/command",
        json={"as": district.TEACHER.id, "channel": district.TEACHERS.id, "text": "/progression"},
    )
    assert answer.status_code == 409 and "not connected" in answer.json()["error"]
    with client.websocket_connect("/link/?ticket=local") as socket:
        hello = socket.receive_json()
        assert hello["type"] == "hello" and hello["connection_info"]["app_id"]


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'["as", "U0PRIYA"]', b'"text"'])
def test_a_body_that_is_not_a_json_object_is_a_400_saying_so(
    client: TestClient, body: bytes
) -> None:
    answer = client.post("/act/command", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("The body must be a JSON object")


def test_jump_asks_the_controls(client: TestClient, site: Site) -> None:
    assert client.post("/act/jump").status_code == 204
    assert isinstance(site.controls, FixedControls) and site.controls.jumps == 1


def test_the_top_bar_says_when_the_digest_comes_and_jumps_to_it(
    client: TestClient, site: Site
) -> None:
    html = page(client, f"/fragment/status?as={district.PRINCIPAL.id}")
    assert "Next digest: <strong>Friday 4 December 2026 at 14:00 (America/Chicago)</strong>" in html
    assert '<button type="button" id="jump-digest" data-control="jump-digest">' in html
    assert client.post("/act/jump-digest").status_code == 204
    assert isinstance(site.controls, FixedControls)
    assert (site.controls.digest_jumps, site.controls.jumps) == (1, 0)


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


@pytest.mark.parametrize(
    ("blocks", "error", "pointer"),
    [
        ("notjson", "invalid_blocks_format", None),
        ([{"type": "section"}], "invalid_blocks", "/blocks/0"),
        ([_section("x")] * 51, "invalid_blocks", "/blocks"),
        ([_section("x" * 3001)], "invalid_blocks", "/blocks/0/text/text"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
            "invalid_blocks",
            "/blocks/0/text/text",
        ),
    ],
)
def test_blocks_slack_would_refuse_are_refused_with_its_detail(
    client: TestClient, site: Site, blocks: Any, error: str, pointer: str | None
) -> None:
    sent = blocks if isinstance(blocks, str) else json.dumps(blocks)
    channel = district.TEACHERS.id
    answer = call(client, "chat.postMessage", channel=channel, text="t", blocks=sent)
    assert answer["ok"] is False and answer["error"] == error
    if pointer is not None:
        assert any(f"[json-pointer:{pointer}]" in e for e in answer["errors"])
        messages = answer["response_metadata"]["messages"]
        assert messages and all(m.startswith("[ERROR] ") for m in messages)
    posted = call(client, "chat.postMessage", channel=channel, text="t")
    assert (
        call(client, "chat.update", channel=channel, ts=posted["ts"], text="t", blocks=sent)[
            "error"
        ]
        == error
    )
    ephemeral = {"channel": channel, "user": district.TEACHER.id, "text": "t", "blocks": sent}
    assert call(client, "chat.postEphemeral", **ephemeral)["error"] == error
    key = site.web_api.new_response_url(
        "http://testserver/", Responder(district.TEACHER.id, channel)
    )
    responded = client.post(
        f"/response/{key.rsplit('/', 1)[1]}", json={"text": "t", "blocks": blocks}
    )
    assert responded.status_code == 400 and responded.json()["error"] == error
    assert site.workspace.count(channel) == 1  # only the plain post landed
    assert error in page(client, "/developer")


def test_a_home_view_slack_would_refuse_is_refused(client: TestClient, site: Site) -> None:
    def publish(blocks: list[dict[str, Any]]) -> dict[str, Any]:
        view = json.dumps({"type": "home", "blocks": blocks})
        return call(client, "views.publish", user_id=district.TEACHER.id, view=view)

    unknown = publish([{"type": "carousel"}])
    assert unknown["error"] == "invalid_blocks"
    assert unknown["errors"] == ["unsupported type: carousel [json-pointer:/view/blocks/0/type]"]
    assert publish([_section("x")] * 101)["error"] == "invalid_blocks"
    assert publish([_section("x")] * 100)["ok"] is True
    assert "carousel" in page(client, "/developer")


@pytest.mark.parametrize("act", ["react", "open-home"])
def test_an_event_the_app_does_not_ack_is_noted_and_retried_as_slack_retries_it(
    client: TestClient, site: Site, act: str
) -> None:
    site.socket_mode.ack_timeout = 0.2  # Slack's three seconds, shortened
    site.acts.retry_delays = (0.0,)
    posted = call(client, "chat.postMessage", channel=district.TEACHERS.id, text="nudge")
    where = {"channel": district.TEACHERS.id, "ts": posted["ts"], "name": "white_check_mark"}
    with client.websocket_connect("/link/?ticket=local") as app:  # an app that never acks
        assert app.receive_json()["type"] == "hello"
        answer = client.post(f"/act/{act}", json={"as": district.TEACHER.id, **where})
        assert answer.status_code == 204
        first, retried = app.receive_json(), app.receive_json()
        assert first["retry_attempt"] == 0
        assert (retried["retry_attempt"], retried["retry_reason"]) == (1, "timeout")
        assert retried["payload"]["event_id"] == first["payload"]["event_id"]
        app.send_json({"envelope_id": retried["envelope_id"]})
        assert site.socket_mode.wait_for_ack(retried["envelope_id"]) is not None
    channel = (
        district.TEACHERS if act == "react" else site.workspace.direct_channel(district.TEACHER.id)
    )
    shown = page(client, f"/fragment/messages?channel={channel.id}&as={district.TEACHER.id}")
    assert "did not acknowledge" in shown
    if act == "react":
        reacted = site.workspace.find(district.TEACHERS.id, posted["ts"])
        assert reacted is not None
        assert reacted.reactions == {"white_check_mark": [district.TEACHER.id]}


def test_the_front_page_of_a_workspace_without_channels_says_so() -> None:
    """Never an IndexError (the person switch's 500): a workspace not yet filled says so."""
    empty = Workspace(WorkspaceClock())
    socket_mode = SocketMode(empty)
    web_api = WebAPI(empty, lambda: "ws://127.0.0.1:1/link/")
    acts = Acts(empty, web_api, socket_mode, "http://testserver/")
    site = Site(empty, web_api, socket_mode, acts, FixedControls(), "help")
    with TestClient(create_site(site)) as client:
        answer = client.get("/", follow_redirects=False)
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "1")
    assert "no channels yet" in answer.text


# A PNG's signature and header (IHDR: 640 x 400), then whatever.
CHART = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    + (640).to_bytes(4, "big")
    + (400).to_bytes(4, "big")
    + b"\x08\x02\x00\x00\x00" * 20
)
ALT = "Share of staff who checked this week's move off, by campus and role. Lincoln: Teacher 50%."


def upload(client: TestClient, channel: str, data: bytes = CHART) -> str:
    """The three steps of files_upload_v2 through the workspace's routes; the file's id."""
    asked = call(client, "files.getUploadURLExternal", filename="chart.png", length=len(data))
    sent = client.post(asked["upload_url"].removeprefix("http://testserver"), content=data)
    assert sent.status_code == 200
    files = json.dumps([{"id": asked["file_id"], "title": "Lincoln progress, week 49"}])
    done = call(client, "files.completeUploadExternal", files=files, channel_id=channel)
    assert done["ok"], done
    return str(asked["file_id"])


def test_an_uploaded_image_is_shown_in_its_channel_and_served(client: TestClient) -> None:
    asked = call(
        client, "files.getUploadURLExternal", filename="chart.png", length=len(CHART), alt_txt=ALT
    )
    file_id = asked["file_id"]
    assert client.get(f"/files/{file_id}").status_code == 404  # no bytes yet
    client.post(f"/upload/{file_id}", content=CHART)
    files = json.dumps([{"id": file_id, "title": "Lincoln progress, week 49"}])
    call(client, "files.completeUploadExternal", files=files, channel_id=district.LEADERS.id)

    served = client.get(f"/files/{file_id}")
    assert (served.status_code, served.content) == (200, CHART)
    assert served.headers["content-type"] == "image/png"
    html = page(client, f"/fragment/messages?channel={district.LEADERS.id}&as=U0MARCUS")
    assert (
        f'<img src="/files/{file_id}" alt="Share of staff who checked this week&#39;s move off, '
        'by campus and role. Lincoln: Teacher 50%." width="640" height="400">'
    ) in html
    assert "<figcaption>Lincoln progress, week 49</figcaption>" in html
    assert client.get("/files/F99999999").status_code == 404


def test_a_reply_in_a_thread_is_shown_under_its_message_not_in_the_channel(
    client: TestClient,
) -> None:
    nudge = call(client, "chat.postMessage", channel=district.TEACHERS.id, text="The nudge")
    call(client, "chat.postMessage", channel=district.TEACHERS.id, text="A later post")
    call(
        client,
        "chat.postMessage",
        channel=district.TEACHERS.id,
        thread_ts=nudge["ts"],
        text="✅ 1 of 2 so far",
    )
    html = page(
        client, f"/fragment/messages?channel={district.TEACHERS.id}&as={district.TEACHER.id}"
    )
    nudge_at, thread_at = html.index("The nudge"), html.index('<ol class="thread"')
    reply_at, later_at = html.index("1 of 2 so far"), html.index("A later post")
    assert nudge_at < thread_at < reply_at < later_at  # under its message, not at the end
    thread = html[thread_at : html.index("</ol>", thread_at)]
    assert 'aria-label="1 reply in the thread"' in thread
    assert 'aria-label="Reply in thread: Progression,' in thread
    assert "reply in thread</span>" in thread
    assert "The nudge" not in thread and "A later post" not in thread


def test_a_reply_whose_message_is_gone_stays_in_the_channel_marked_as_a_reply(
    client: TestClient,
) -> None:
    call(client, "chat.postMessage", channel=district.TEACHERS.id, thread_ts="1.000001", text="R")
    html = page(
        client, f"/fragment/messages?channel={district.TEACHERS.id}&as={district.TEACHER.id}"
    )
    assert '<ol class="thread"' not in html
    assert 'aria-label="Reply in thread: Progression,' in html


def test_files_are_kept_with_the_workspace_between_runs(client: TestClient, site: Site) -> None:
    file_id = upload(client, district.LEADERS.id)
    kept = json.loads(json.dumps(site.workspace.snapshot()))  # as `try` writes it to disk

    again = Workspace(WorkspaceClock())
    again.reset(district.PEOPLE, district.CHANNELS)
    again.restore(kept)
    web_api = WebAPI(again, lambda: "ws://127.0.0.1:1/link/")
    restarted = Site(
        again, web_api, site.socket_mode, site.acts, FixedControls(), "phase 3 · 3.8 · help"
    )
    with TestClient(create_site(restarted)) as later:
        assert later.get(f"/files/{file_id}").content == CHART
        html = page(later, f"/fragment/messages?channel={district.LEADERS.id}&as=U0MARCUS")
        assert f'<img src="/files/{file_id}"' in html
        assert upload(later, district.LEADERS.id) != file_id  # a new file, a new id
