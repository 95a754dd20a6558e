"""The pages of "Add to Slack" (multi-workspace mode): the install page, the page after an
installation, and the page for each way one fails. Plain, accessible HTML: a language, a
title, one main landmark, a heading, and a link that says where it goes."""

from __future__ import annotations

from html import escape

INSTALL_PATH = "/slack/install"
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5;color:#1d1c1d;background:#fff}"
    "a.button{display:inline-block;padding:.6rem 1.2rem;border-radius:.3rem;background:#2c4a6e;"
    "color:#fff;font-weight:600;text-decoration:none}a.button:focus{outline:3px solid #1264a3;"
    "outline-offset:2px}code{background:#f4f4f4;padding:0 .2rem}"
)

# What happened, for each reason Bolt's OAuth flow gives a failure; anything else is an error
# Slack's authorize page sent back, named as it is.
_FAILURES = {
    "access_denied": (
        "Installation cancelled",
        "You cancelled on Slack's page, so Progression was not installed.",
    ),
    "invalid_browser": (
        "This installation was not started here",
        "The link was not opened in the browser that started the installation (or its cookie "
        "is gone), so nothing was installed.",
    ),
    "invalid_state": (
        "This installation link has expired",
        "The link was already used, is more than 10 minutes old, or was not issued by this "
        "app, so nothing was installed.",
    ),
    "missing_code": (
        "Slack sent no installation code",
        "The link back from Slack carried no code, so nothing was installed.",
    ),
    "invalid_code": (
        "Slack did not complete the installation",
        "Slack refused the installation's code (it was already used or has expired, or this "
        "app's credentials are wrong), so nothing was installed.",
    ),
    "storage_error": (
        "The installation could not be saved",
        "Slack installed the app, but its database could not keep the installation, so "
        "nothing was saved.",
    ),
}


def install_page(authorize_url: str) -> str:
    """The page at /slack/install: what the app is, and the "Add to Slack" button."""
    return _page(
        "Add Progression to Slack",
        "<p>Progression puts the Distance Learning Progression in front of the staff who act "
        "on it: a next move a week in each role channel, check-offs with a reaction, and "
        "progress for leaders.</p>"
        f'<p><a class="button" href="{escape(authorize_url)}">Add to Slack</a></p>'
        "<p>Slack asks you to choose the workspace and to allow what the app needs.</p>",
    )


def installed_page(workspace: str, org_wide: bool) -> str:
    """The page after an installation: where it went, and what to do next."""
    where = "every workspace of the organization " if org_wide else ""
    return _page(
        f"Progression is installed in {workspace}",
        f"<p>Progression was added to {where}<strong>{escape(workspace)}</strong>.</p>"
        "<h2>What to do next</h2><ol>"
        "<li>Invite <code>@progression</code> to a role channel, such as your teachers' "
        "channel.</li>"
        "<li>Subscribe the channel to its role there: <code>/progression subscribe "
        "teacher</code>, or another role: <code>/progression help</code> lists them. The "
        "channel gets one next move a week.</li>"
        "<li>Anyone can look the progression up: <code>/progression phase 1</code>.</li>"
        "</ol>",
    )


def failure_page(reason: str) -> str:
    """The page when an installation did not happen: what happened, and how to start again."""
    title, said = _FAILURES.get(
        reason,
        (
            "Slack did not install the app",
            f"Slack's page answered with the error <code>{escape(reason)}</code>, so nothing "
            "was installed.",
        ),
    )
    return _page(
        title, f'<p>{said}</p><p><a href="{INSTALL_PATH}">Start the installation again</a></p>'
    )


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )
