"""Every named URL of the project × every role of the cast: the status a GET gets, as one table.

What each URL should answer is derived from the permission policies (chapters/policies.py,
comments/policies.py): RULES says, per URL, what the user must see and be allowed, in the
policies' own terms, and `expected` asks the policies for each role. `URL_ROLES_MEASURE=1
scripts/test tests/test_url_roles.py -s` prints what the URLs answer today. Django's
admin (its own URLs) is left out; POST-only views answer 405 to a GET, which the table says.
"""

import os

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chapters import policies as chapter_policies
from chapters.models import Export, ImportJob, JobState, SignOff
from comments import policies as comment_policies
from comments.models import Suggestion, WordReview
from handbook_review.notifications.models import Notification
from handbook_review.people.models import Jurisdiction
from tests import factories
from tests.conftest import ROLES, client_for
from tests.test_crawl import media, parameters_of, review  # noqa: F401  (fixtures)

MEASURE = bool(os.environ.get("URL_ROLES_MEASURE"))

# What decides a GET of each URL, in the permission policies' own terms: what the user must see
# (404 otherwise; the scene object is looked up through the policy's visible_to), what they must
# be allowed (403 otherwise), and what an allowed GET answers. Anonymous visitors are sent to the
# login page from every URL but the PUBLIC ones; POST-only views answer 405 to any GET.
RESET = [f"password_reset{end}" for end in ("", "_done", "_confirm", "_complete")]
PUBLIC = {"healthz", "login", "set_language", *RESET}
POST_ONLY = {
    "chapters:close_round", "chapters:export_edition", "chapters:export_edition_all",
    "chapters:extend_round",
    "chapters:import_confirm", "chapters:move_chapter", "chapters:restore", "chapters:sign_off",
    "chapters:upload_chapter_image", "chapters:upload_image", "chapters:withdraw_sign_off",
    "comments:accept_suggestion", "comments:bulk_decide", "comments:delete_comment",
    "comments:new_suggestion", "comments:new_thread", "comments:preview_suggestion",
    "comments:reattach", "comments:reply", "comments:resolve", "comments:withdraw_suggestion",
    "comments:undo_bulk", "comments:wording_diff",
    "comments:set_position", "comments:vote", "comments:word_confirm",
    "log_out_everywhere", "logout", "markdownx_markdownify", "notifications:mark_all_read",
    "set_language",
    "twofactor_disable", "twofactor_new_codes",
}  # fmt: skip


def sees(kind):
    """The user finds the scene's object of this kind through its policy."""
    policy_of = {
        "handbook": lambda person: chapter_policies.handbooks.visible_to(person),
        "chapter": lambda person: chapter_policies.chapters.visible_to(person),
        "round": lambda person: chapter_policies.rounds.visible_to(person),
        "edition": lambda person: chapter_policies.editions.visible_to(person),
        "export": lambda person: chapter_policies.exports.visible_to(person),
        "download": lambda person: chapter_policies.exports.downloadable(person),
        "thread": lambda person: comment_policies.threads.visible_to(person),
    }
    key = {"download": "export"}.get(kind, kind)
    return lambda person, scene: policy_of[kind](person).filter(pk=scene[key].pk).exists()


def sees_thread_of(kind):
    """The suggestion's or comment's thread is one the user sees."""
    return lambda person, scene: (
        comment_policies.threads.visible_to(person).filter(pk=scene[kind].thread_id).exists()
    )


def may(policy, action):
    return lambda person, scene: policy.can(person, action)


def reports_on(code):
    return lambda person, scene: comment_policies.reports.may_report_on(
        person, Jurisdiction.objects.get(code=code)
    )


def owns(kind, field):
    return lambda person, scene: getattr(scene[kind], field) == person.pk


def anyone(person, scene):
    return True


handbooks, chapters = chapter_policies.handbooks, chapter_policies.chapters
rounds, exports = chapter_policies.rounds, chapter_policies.exports
threads, suggestions = comment_policies.threads, comment_policies.suggestions
dispositions = comment_policies.dispositions
ballots = comment_policies.ballots
images = chapter_policies.images

# URL name -> (must see, must be allowed (403 otherwise), status when allowed). A third element
# that is a tuple gives (check, status if it fails) for a last check (an owner's own object).
RULES = {
    "chapter": (sees("chapter"), anyone, 200),
    "version": (sees("chapter"), anyone, 200),
    "chapters:compare": (sees("chapter"), anyone, 200),
    "chapters:history": (sees("chapter"), anyone, 200),
    "chapters:workflow": (sees("chapter"), anyone, 200),
    "comments:annotations": (sees("chapter"), anyone, 200),
    # Editors choose whose review (a bare GET lists the jurisdictions); counterparts see their own.
    "comments:since_review": (sees("chapter"), anyone, 200),
    "chapters:edit_chapter": (sees("chapter"), may(chapters, "edit"), 200),
    # A bare GET names no section: there is nothing to rewrite.
    "comments:rewrite_section": (sees("chapter"), anyone, 404),
    "handbook": (sees("handbook"), anyone, 200),
    "chapters:editions": (sees("handbook"), anyone, 200),
    "chapters:rounds": (sees("handbook"), anyone, 200),
    "comments:my_review": (sees("handbook"), anyone, 200),
    "chapters:add_chapter": (sees("handbook"), may(handbooks, "add_chapter"), 200),
    "chapters:draft_exports": (sees("handbook"), may(exports, "request"), 200),
    "chapters:import_upload": (sees("handbook"), may(handbooks, "import"), 200),
    "chapters:new_round": (sees("handbook"), may(rounds, "manage"), 200),
    "chapters:bulk_workflow": (sees("handbook"), may(chapters, "move"), 200),
    # Another editor's import is theirs alone: 404.
    "chapters:import_job": (
        sees("handbook"), may(handbooks, "import"), (owns("import_job", "uploaded_by_id"), 404)
    ),
    "comments:dashboard": (sees("handbook"), may(threads, "view_all"), 200),
    # The Word round trip: a review copy for whoever may comment now (the handbook's: on at
    # least one of its chapters); uploads for whoever may comment; an upload is its uploader's.
    "comments:review_copy": (
        sees("chapter"), lambda person, scene: threads.may_comment(person, scene["chapter"]), 200
    ),
    "comments:handbook_review_copy": (
        sees("handbook"),
        lambda person, scene: any(
            threads.may_comment(person, c)
            for c in chapters.visible_to(person).filter(handbook=scene["handbook"])
        ),
        200,
    ),
    "comments:word_upload": (sees("handbook"), may(threads, "add"), 200),
    "comments:word_review": (
        sees("handbook"), anyone, (owns("word_review", "uploaded_by_id"), 404)
    ),
    "comments:coordination": (sees("handbook"), may(ballots, "coordinate"), 200),
    # The old matrix's URLs send editors on to the disposition report, the same scope.
    "comments:resolution_matrix_csv": (sees("handbook"), may(threads, "view_all"), 302),
    "comments:resolution_matrix_xlsx": (sees("handbook"), may(threads, "view_all"), 302),
    **{
        f"comments:disposition_report_{fmt}": (sees("handbook"), may(threads, "view_all"), 200)
        for fmt in ("xlsx", "csv", "pdf", "docx")
    },
    # One jurisdiction's report (the scene's: Albania): its coordinators and the editors.
    **{
        f"comments:jurisdiction_report_{fmt}": (sees("handbook"), reports_on("AL"), 200)
        for fmt in ("xlsx", "pdf")
    },
    "chapters:round": (sees("round"), anyone, 200),
    "chapters:edit_round": (sees("round"), may(rounds, "manage"), 200),
    "chapters:edition": (sees("edition"), anyone, 200),
    "chapters:edition_changes": (sees("edition"), anyone, 200),
    "chapters:edition_chapter": (sees("edition"), anyone, 200),
    "chapters:export_download": (sees("download"), anyone, 200),
    "chapters:export_status": (sees("export"), may(exports, "request"), 200),
    "comments:thread": (sees("thread"), anyone, 302),  # to the thread on its chapter's page
    "comments:dispose": (sees("thread"), may(dispositions, "dispose"), 200),
    "comments:answer": (
        sees("thread"), lambda person, scene: dispositions.may_answer(person, scene["thread"]), 200
    ),
    "comments:bulk_dispose": (sees("chapter"), may(dispositions, "dispose"), 200),
    "comments:decide_suggestion": (sees_thread_of("suggestion"), may(suggestions, "decide"), 200),
    "comments:reject_suggestion": (sees_thread_of("suggestion"), may(suggestions, "decide"), 200),
    "comments:edit_comment": (sees_thread_of("comment"), owns("comment", "author_id"), 200),
    "comments:hide_comment": (sees_thread_of("comment"), may(threads, "moderate"), 200),
    "media": (lambda person, scene: images.can_see(person, scene["image"]), anyone, 200),
    # A notice is its recipient's: anyone else's is not found.
    "notifications:open": (owns("notification", "recipient_id"), anyone, 302),
    "login": (anyone, anyone, 302),  # already logged in: on to the start page
    # Before a second factor is set up there are no codes to show or to verify: to enrolment.
    "twofactor_codes": (anyone, anyone, 302),
    "twofactor_verify": (anyone, anyone, 302),
    # The interface strings of the JavaScript, in the reader's language.
    "javascript-catalog": (anyone, anyone, 200),
    **dict.fromkeys(
        (
            # Search finds only what the user may see (tests/comments/test_search.py).
            "comments:search",
            "home", "healthz", "notifications:list", "notifications:settings",
            "password_change", "password_change_done", "twofactor_enrol", "twofactor_security",
            *RESET,
        ),
        (anyone, anyone, 200),
    ),
}  # fmt: skip


def expected(name: str, role: str, person, scene) -> int:
    """The status `role` (the user `person`) gets for a GET of the URL called `name`."""
    if person is None:
        if name in PUBLIC:
            return 405 if name in POST_ONLY else 200
        return 302
    if name in POST_ONLY:
        return 405
    found, allowed, outcome = RULES[name]
    if not found(person, scene):
        return 404
    if not allowed(person, scene):
        return 403
    if isinstance(outcome, tuple):
        last, otherwise = outcome
        return 200 if last(person, scene) else otherwise
    return outcome


def url_names(resolvers=None, namespace: str = ""):
    """(URL name, parameter names) of every named URL pattern but Django's admin."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", parameters_of(entry)


# Which object a URL's `pk` names, by the start of its name (the rest are chapters).
PK_OF = {
    "chapters:import_": "import_job",
    "chapters:export_status": "export",
    "chapters:export_download": "export",
    "chapters:round": "round",
    "chapters:edit_round": "round",
    "chapters:extend_round": "round",
    "chapters:close_round": "round",
    "chapters:sign_off": "round",
    "chapters:withdraw_sign_off": "round",
    "comments:accept_suggestion": "suggestion",
    "comments:decide_suggestion": "suggestion",
    "comments:reject_suggestion": "suggestion",
    "comments:withdraw_suggestion": "suggestion",
    "comments:thread": "thread",
    "comments:dispose": "thread",
    "comments:answer": "thread",
    "comments:reply": "thread",
    "comments:resolve": "thread",
    "comments:reattach": "thread",
    "comments:set_position": "thread",
    "comments:vote": "round",
    "comments:edit_comment": "comment",
    "comments:delete_comment": "comment",
    "comments:hide_comment": "comment",
    "notifications:open": "notification",
    "comments:word_": "word_review",
}


@pytest.fixture
def scene(review, editor, counterpart):  # noqa: F811
    """The crawl's scene, plus an import, a stored image and one of each object a URL names."""
    handbook, chapter = review["handbook"], review["chapter"]
    thread = review["thread"]
    return {
        **review,
        "import_job": ImportJob.objects.create(
            handbook=handbook,
            uploaded_by=editor,
            filename="draft.md",
            state=JobState.FAILED,
            error="Not a document.",
        ),
        "image": factories.stored_image(handbook, chapter),
        "word_review": WordReview.objects.create(
            handbook=handbook, uploaded_by=editor, filename="reviewed.docx", state="failed"
        ),
        "export": Export.objects.get(handbook=handbook, edition=review["edition"]),
        "suggestion": Suggestion.objects.filter(thread__chapter=chapter).first(),
        "comment": thread.comments.order_by("pk").first(),
        "notification": Notification.objects.filter(recipient=counterpart).first(),
        "sign_off": SignOff.objects.get(round=review["round"], chapter=review["second"]),
    }


def url_for(name: str, parameters: list[str], scene) -> str:
    pk_of = next((o for prefix, o in PK_OF.items() if name.startswith(prefix)), "chapter")
    values = {
        "slug": scene["handbook"].slug,
        "pk": scene[pk_of].pk,
        "chapter_pk": scene["second"].pk,
        "sign_off_pk": scene["sign_off"].pk,
        "number": 1,
        "label": "1.1",
        "filename": scene["image"].name.removeprefix("images/"),
        "code": "AL",
        "uidb64": "MQ",
        "token": "no-such-token",
    }
    return reverse(name, kwargs={p: values[p] for p in parameters})


def status_of(client, url: str) -> int:
    try:
        response = client.get(url)
    except Exception:  # the test client re-raises a view's exception: that is the 500
        return 500
    if response.streaming:  # read to the end, so that the client closes it once
        b"".join(response.streaming_content)
    return response.status_code


@pytest.mark.parametrize("role", ROLES)
def test_every_named_url_answers_each_role_as_the_table_says(role, request, scene):
    person = None if role == "anonymous" else request.getfixturevalue(role)
    found, problems = {}, []
    for name, parameters in sorted(url_names()):
        status = found[name] = status_of(client_for(person), url_for(name, parameters, scene))
        if status >= 500:
            problems.append(f"{name}: {status} for {role}")
        elif not MEASURE and status != (wanted := expected(name, role, person, scene)):
            problems.append(f"{name}: {status} for {role}, the policies say {wanted}")
    if MEASURE:
        print(f"\n{role}: {found!r}")
    assert not problems, "\n".join(problems)


def test_every_named_url_has_a_rule():
    assert set(RULES) | POST_ONLY == {name for name, _ in url_names()}
    assert not set(RULES) & POST_ONLY
