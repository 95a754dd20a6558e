"""Block Kit views: pure functions from the progression to plain-dict Slack messages.

A message is `{"text": short_plain_fallback, "blocks": [...]}`; listeners add
`response_type`. Every view stays inside Slack's limits for any progression a district loads.
"""

from bot.views.blocks import (
    MAX_BLOCKS,
    MAX_CONTEXT_ELEMENTS,
    MAX_FALLBACK_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    Message,
)
from bot.views.help import (
    busy_message,
    error_message,
    help_message,
    home_view,
    internal_error_message,
)
from bot.views.lookups import action_message, phase_message, role_message, search_message
from bot.views.nudge import (
    NUDGE_MESSAGES,
    celebration_message,
    done_line,
    nudge_message,
    reminder_message,
)
from bot.views.progress import (
    MARK_DONE_ACTION,
    UNDO_ACTION,
    ChannelProgress,
    HomeMove,
    MyProgress,
    PostedMove,
    channel_progress_message,
    home_personal_blocks,
    my_progress_message,
    workspace_progress_message,
)
from bot.views.share import SHARE_ACTION, shared_message, with_share_button

__all__ = [
    "MARK_DONE_ACTION",
    "MAX_BLOCKS",
    "MAX_CONTEXT_ELEMENTS",
    "MAX_FALLBACK_TEXT",
    "MAX_HEADER_TEXT",
    "MAX_SECTION_TEXT",
    "NUDGE_MESSAGES",
    "SHARE_ACTION",
    "UNDO_ACTION",
    "ChannelProgress",
    "HomeMove",
    "Message",
    "MyProgress",
    "PostedMove",
    "action_message",
    "busy_message",
    "celebration_message",
    "channel_progress_message",
    "done_line",
    "error_message",
    "help_message",
    "home_personal_blocks",
    "home_view",
    "internal_error_message",
    "my_progress_message",
    "nudge_message",
    "phase_message",
    "reminder_message",
    "role_message",
    "search_message",
    "shared_message",
    "with_share_button",
    "workspace_progress_message",
]
