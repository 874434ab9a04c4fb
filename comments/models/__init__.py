"""The comments floor's rows: threads, anchors and comments (threads.py); suggestions and
decisions (suggestions.py); dispositions, answers, coordinators' positions and votes
(dispositions.py); what search finds (search.py). The state changes that write them live in
comments/actions/.
"""

from comments.models.dispositions import (
    REASON_REQUIRED,
    SATISFIED,
    Answer,
    Disposition,
    DispositionKind,
    Position,
    Vote,
    VoteValue,
)
from comments.models.search import EntryKind, SearchEntry
from comments.models.suggestions import (
    UNDECIDED,
    UNDO_MINUTES,
    BulkRun,
    Conflict,
    Decision,
    Suggestion,
    SuggestionStatus,
)
from comments.models.threads import (
    CATEGORY_HELP,
    COMMENT_MAX_CHARS,
    ESSENTIAL_HELP,
    Anchor,
    AnswerKind,
    Category,
    Comment,
    CommentQuerySet,
    Kind,
    NotAllowed,
    PositionKind,
    Thread,
    ThreadQuerySet,
    ThreadStatus,
    Visibility,
)
from comments.models.wordreviews import WordReview, WordReviewState

__all__ = [
    "CATEGORY_HELP",
    "COMMENT_MAX_CHARS",
    "ESSENTIAL_HELP",
    "REASON_REQUIRED",
    "SATISFIED",
    "UNDECIDED",
    "UNDO_MINUTES",
    "Anchor",
    "Answer",
    "AnswerKind",
    "BulkRun",
    "Category",
    "Comment",
    "CommentQuerySet",
    "Conflict",
    "Decision",
    "Disposition",
    "DispositionKind",
    "EntryKind",
    "Kind",
    "NotAllowed",
    "Position",
    "PositionKind",
    "SearchEntry",
    "Suggestion",
    "SuggestionStatus",
    "Thread",
    "ThreadQuerySet",
    "ThreadStatus",
    "Visibility",
    "Vote",
    "VoteValue",
    "WordReview",
    "WordReviewState",
]
