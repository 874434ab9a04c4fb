"""The chapters app's models, one module per concern, re-exported so that
`from chapters.models import X` works everywhere:

- handbooks: handbooks, chapters, their versions and the rendered-text cache
- rounds: review rounds, round events, transitions and sign-offs
- editions: published (immutable) editions and their chapters
- files: exports and downloads, stored images, import jobs
"""

from chapters.models.editions import (
    Edition,
    EditionChapter,
    EditionImmutable,
    EditionQuerySet,
    Immutable,
    ImmutableQuerySet,
)
from chapters.models.files import (
    IMAGE_EXTENSIONS,
    IMAGE_FILENAME,
    IMAGE_URL_IN_TEXT,
    Export,
    ExportDownload,
    ExportFormat,
    ExportState,
    ImportJob,
    JobState,
    StoredImage,
    image_key,
)
from chapters.models.handbooks import (
    Chapter,
    ChapterQuerySet,
    Handbook,
    HandbookQuerySet,
    Language,
    NothingChanged,
    StaleVersion,
    Status,
    normalise_newlines,
    plain_text,
    rendered_html,
)
from chapters.models.rounds import (
    Round,
    RoundChange,
    RoundEvent,
    RoundQuerySet,
    RoundState,
    SignOff,
    Transition,
    Verdict,
)

__all__ = [
    "IMAGE_EXTENSIONS",
    "IMAGE_FILENAME",
    "IMAGE_URL_IN_TEXT",
    "Chapter",
    "ChapterQuerySet",
    "Edition",
    "EditionChapter",
    "EditionImmutable",
    "EditionQuerySet",
    "Export",
    "ExportDownload",
    "ExportFormat",
    "ExportState",
    "Handbook",
    "HandbookQuerySet",
    "Immutable",
    "ImmutableQuerySet",
    "ImportJob",
    "JobState",
    "Language",
    "NothingChanged",
    "Round",
    "RoundChange",
    "RoundEvent",
    "RoundQuerySet",
    "RoundState",
    "SignOff",
    "StaleVersion",
    "Status",
    "StoredImage",
    "Transition",
    "Verdict",
    "image_key",
    "normalise_newlines",
    "plain_text",
    "rendered_html",
]
