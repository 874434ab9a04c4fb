"""The comments floor's rows: threads, anchors and comments (threads.py); suggestions and
decisions (suggestions.py). The state changes that write them live in comments/actions/.
"""

from comments.models.suggestions import (
    UNDECIDED,
    Conflict,
    Decision,
    Suggestion,
    SuggestionStatus,
)
from comments.models.threads import (
    COMMENT_MAX_CHARS,
    Anchor,
    Comment,
    CommentQuerySet,
    Kind,
    NotAllowed,
    Thread,
    ThreadQuerySet,
    ThreadStatus,
    Visibility,
)

__all__ = [
    "COMMENT_MAX_CHARS",
    "UNDECIDED",
    "Anchor",
    "Comment",
    "CommentQuerySet",
    "Conflict",
    "Decision",
    "Kind",
    "NotAllowed",
    "Suggestion",
    "SuggestionStatus",
    "Thread",
    "ThreadQuerySet",
    "ThreadStatus",
    "Visibility",
]
