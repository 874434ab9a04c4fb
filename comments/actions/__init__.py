"""Every state change of the comments floor with consequences, one function each: threads.py
(open a thread, reply, resolve, reopen, re-attach; edit, delete, hide a comment; locate a
selection), suggestions.py (propose, accept, modify-accept,
reject, withdraw, resolve a conflict, bulk decide), dispositions.py (dispose of a thread, of a
filtered set, answer a disposition; recording.py writes the row both it and suggestions end
in), reanchoring.py (the step of revising that
moves the threads), ballots.py (a coordinator's endorse, hold back, merge, undo; the vote).
"""

from comments.actions.ballots import (
    cast_vote,
    endorse,
    hold_back,
    merge,
    reopen_position,
)
from comments.actions.dispositions import (
    DisposalReport,
    answer,
    dispose,
    dispose_many,
)
from comments.actions.reanchoring import (
    on_chapter_revised,
    reanchor_threads,
    store_positions,
)
from comments.actions.suggestions import (
    BulkReport,
    CannotUndo,
    accept,
    close_thread,
    decide_many,
    locked,
    mark_conflicted,
    propose,
    recheck_open_suggestions,
    record_acceptance,
    reject,
    reopen_suggestion,
    resolve_conflict,
    undo_bulk,
    withdraw,
)
from comments.actions.threads import (
    MENTION,
    add_comment,
    delete_comment,
    edit_comment,
    find_mentions,
    hide_comment,
    locate_point,
    locate_section,
    locate_selection,
    open_thread,
    reattach_thread,
    reopen_thread,
    resolve_thread,
)
from comments.actions.word import AlreadyConfirmed, WordResult, confirm_word_review

__all__ = [
    "MENTION",
    "AlreadyConfirmed",
    "BulkReport",
    "CannotUndo",
    "DisposalReport",
    "WordResult",
    "accept",
    "add_comment",
    "answer",
    "cast_vote",
    "close_thread",
    "confirm_word_review",
    "decide_many",
    "delete_comment",
    "dispose",
    "dispose_many",
    "edit_comment",
    "endorse",
    "find_mentions",
    "hide_comment",
    "hold_back",
    "locate_point",
    "locate_section",
    "locate_selection",
    "locked",
    "mark_conflicted",
    "merge",
    "on_chapter_revised",
    "open_thread",
    "propose",
    "reanchor_threads",
    "reattach_thread",
    "recheck_open_suggestions",
    "record_acceptance",
    "reject",
    "reopen_position",
    "reopen_suggestion",
    "reopen_thread",
    "resolve_conflict",
    "resolve_thread",
    "store_positions",
    "undo_bulk",
    "withdraw",
]
