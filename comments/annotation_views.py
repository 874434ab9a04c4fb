"""The chapter's visible threads exported as a W3C Web Annotation page (JSON-LD).

A comment thread is a `commenting` annotation with its replies as `replying` ones; a suggestion
is an `editing` annotation whose bodies are the rationale (purpose `commenting`) and the proposed
text (purpose `editing`). Bodies and targets carry the handbook's language, and the page names
the software that generated it.
"""

from typing import Any

from django.db.models import Prefetch
from django.http import HttpResponse, JsonResponse

from chapters.views import get_chapter
from comments import policies
from comments.access import person
from comments.models import Comment, Suggestion
from handbook_review.http import AuthedRequest

# --- W3C Web Annotation export


ANNOTATION_CONTENT_TYPE = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
GENERATOR = {"id": "urn:handbook-review", "type": "Software", "name": "Handbook Review"}


def annotations(request: AuthedRequest, slug: str, pk: int) -> HttpResponse:
    """The chapter's visible threads as a W3C Web Annotation page (JSON-LD)."""
    chap = get_chapter(request, slug, pk)
    source = request.build_absolute_uri(chap.get_absolute_url())
    page_id = request.build_absolute_uri(request.path)
    threads = (
        policies.threads.visible_to(request.user)
        .filter(chapter=chap)
        .select_related("author")
        .prefetch_related(
            Prefetch("comments", queryset=Comment.objects.shown().select_related("author"))
        )
        .order_by("pk")
    )
    language = chap.handbook.language
    proposals = dict(
        Suggestion.objects.filter(thread__in=threads).values_list("thread_id", "replacement")
    )
    items: list[dict[str, Any]] = []
    for thread in threads:
        thread_id = f"{page_id}#thread-{thread.pk}"
        comments = list(thread.comments.all())
        first, replies = (comments[0], comments[1:]) if comments else (None, [])
        selectors: list[dict[str, Any]] = [
            {
                "type": "TextQuoteSelector",
                "exact": thread.current_exact if not thread.is_orphaned else thread.exact,
                "prefix": thread.prefix,
                "suffix": thread.suffix,
            }
        ]
        if not thread.is_orphaned:
            selectors.append(
                {"type": "TextPositionSelector", "start": thread.start, "end": thread.end}
            )
        rationale = {
            "type": "TextualBody",
            "value": first.body if first and not first.is_hidden else "",
            "format": "text/markdown",
            "language": language,
        }
        body: dict[str, Any] | list[dict[str, Any]] = rationale
        if thread.pk in proposals:
            body = [
                {**rationale, "purpose": "commenting"},
                {
                    "type": "TextualBody",
                    "purpose": "editing",
                    "value": proposals[thread.pk],
                    "format": "text/markdown",
                    "language": language,
                },
            ]
        items.append(
            {
                "id": thread_id,
                "type": "Annotation",
                "motivation": "editing" if thread.pk in proposals else "commenting",
                "creator": person(request, thread.author),
                "created": thread.created_at.isoformat(),
                "modified": thread.updated_at.isoformat(),
                "generator": GENERATOR,
                "body": body,
                "target": {
                    "source": f"{source}?version={thread.anchored_version}",
                    "language": language,
                    "selector": selectors if len(selectors) > 1 else selectors[0],
                },
                "status": "orphaned" if thread.is_orphaned else thread.status,
            }
        )
        for comment in replies:
            items.append(
                {
                    "id": f"{page_id}#comment-{comment.pk}",
                    "type": "Annotation",
                    "motivation": "replying",
                    "creator": person(request, comment.author),
                    "created": comment.created_at.isoformat(),
                    "modified": (comment.edited_at or comment.created_at).isoformat(),
                    "generator": GENERATOR,
                    "body": {
                        "type": "TextualBody",
                        "value": "" if comment.is_hidden else comment.body,
                        "format": "text/markdown",
                        "language": language,
                    },
                    "target": thread_id,
                }
            )
    document = {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "id": page_id,
        "type": "AnnotationPage",
        "partOf": {
            "id": f"{page_id}#collection",
            "type": "AnnotationCollection",
            "label": str(chap),
            "total": len(items),
        },
        "startIndex": 0,
        "generator": GENERATOR,
        "items": items,
    }
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False, "indent": 1})
    response["Content-Type"] = ANNOTATION_CONTENT_TYPE
    return response
