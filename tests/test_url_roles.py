"""Every named URL of the project × every role of the cast: the status a GET gets, as one table.

The table is today's behaviour, measured and written down (`URL_ROLES_MEASURE=1 scripts/test
tests/test_url_roles.py -s` prints it afresh). What a test asks is `expected(name, role)`, so the
table can give way to a function of the permission policies without touching the test. Django's
admin (its own URLs) is left out; POST-only views answer 405 to a GET, which the table says.
"""

import os

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from chapters.models import Export, ImportJob, JobState, SignOff
from comments.models import Suggestion
from handbook_review.notifications.models import Notification
from tests import factories
from tests.conftest import ROLES, client_for
from tests.test_crawl import media, parameters_of, review  # noqa: F401  (fixtures)

MEASURE = bool(os.environ.get("URL_ROLES_MEASURE"))

# URL name -> status of a GET for each role, in the order of ROLES (anonymous, outsider,
# counterpart, editor, administrator), on the `review` scene of tests/test_crawl.py: the
# counterpart (AL) is invited to the round, the outsider's jurisdiction (RS) takes no part.
EXPECTED: dict[str, tuple[int, int, int, int, int]] = {
    "chapter": (302, 404, 200, 200, 200),
    "chapters:add_chapter": (302, 404, 403, 200, 200),
    "chapters:close_round": (302, 405, 405, 405, 405),
    "chapters:compare": (302, 404, 200, 200, 200),
    "chapters:draft_exports": (302, 404, 403, 200, 200),
    "chapters:edit_chapter": (302, 404, 403, 200, 200),
    "chapters:edit_round": (302, 404, 403, 200, 200),
    "chapters:edition": (302, 404, 200, 200, 200),
    "chapters:edition_changes": (302, 404, 200, 200, 200),
    "chapters:edition_chapter": (302, 404, 200, 200, 200),
    "chapters:editions": (302, 404, 200, 200, 200),
    "chapters:export_download": (302, 404, 200, 200, 200),
    "chapters:export_edition": (302, 405, 405, 405, 405),
    "chapters:export_status": (302, 404, 403, 200, 200),
    "chapters:extend_round": (302, 405, 405, 405, 405),
    "chapters:history": (302, 404, 200, 200, 200),
    "chapters:import_confirm": (302, 405, 405, 405, 405),
    "chapters:import_job": (302, 404, 403, 200, 404),
    "chapters:import_upload": (302, 404, 403, 200, 200),
    "chapters:move_chapter": (302, 405, 405, 405, 405),
    "chapters:new_round": (302, 404, 403, 200, 200),
    "chapters:restore": (302, 405, 405, 405, 405),
    "chapters:round": (302, 404, 200, 200, 200),
    "chapters:rounds": (302, 404, 200, 200, 200),
    "chapters:sign_off": (302, 405, 405, 405, 405),
    "chapters:upload_chapter_image": (302, 405, 405, 405, 405),
    "chapters:upload_image": (302, 405, 405, 405, 405),
    "chapters:withdraw_sign_off": (302, 405, 405, 405, 405),
    "chapters:workflow": (302, 404, 200, 200, 200),
    "comments:accept_suggestion": (302, 405, 405, 405, 405),
    "comments:annotations": (302, 404, 200, 200, 200),
    "comments:bulk_decide": (302, 405, 405, 405, 405),
    "comments:dashboard": (302, 404, 403, 200, 200),
    "comments:decide_suggestion": (302, 404, 403, 200, 200),
    "comments:delete_comment": (302, 405, 405, 405, 405),
    "comments:edit_comment": (302, 404, 200, 403, 403),
    "comments:hide_comment": (302, 404, 403, 200, 200),
    "comments:my_review": (302, 404, 200, 200, 200),
    "comments:new_suggestion": (302, 405, 405, 405, 405),
    "comments:new_thread": (302, 405, 405, 405, 405),
    "comments:preview_suggestion": (302, 405, 405, 405, 405),
    "comments:reattach": (302, 405, 405, 405, 405),
    "comments:reject_suggestion": (302, 404, 403, 200, 200),
    "comments:reply": (302, 405, 405, 405, 405),
    "comments:resolution_matrix_csv": (302, 404, 403, 200, 200),
    "comments:resolution_matrix_xlsx": (302, 404, 403, 200, 200),
    "comments:resolve": (302, 405, 405, 405, 405),
    "comments:rewrite_section": (302, 404, 404, 404, 404),
    "comments:thread": (302, 404, 302, 302, 302),
    "comments:withdraw_suggestion": (302, 405, 405, 405, 405),
    "handbook": (302, 404, 200, 200, 200),
    "healthz": (200, 200, 200, 200, 200),
    "home": (302, 200, 200, 200, 200),
    "log_out_everywhere": (302, 405, 405, 405, 405),
    "login": (200, 302, 302, 302, 302),
    "logout": (302, 405, 405, 405, 405),
    "markdownx_markdownify": (302, 405, 405, 405, 405),
    "media": (302, 404, 200, 200, 200),
    "notifications:list": (302, 200, 200, 200, 200),
    "notifications:mark_all_read": (302, 405, 405, 405, 405),
    "notifications:open": (302, 404, 302, 404, 404),
    "notifications:settings": (302, 200, 200, 200, 200),
    "password_change": (302, 200, 200, 200, 200),
    "password_change_done": (302, 200, 200, 200, 200),
    "password_reset": (200, 200, 200, 200, 200),
    "password_reset_complete": (200, 200, 200, 200, 200),
    "password_reset_confirm": (200, 200, 200, 200, 200),
    "password_reset_done": (200, 200, 200, 200, 200),
    "twofactor_codes": (302, 302, 302, 302, 302),
    "twofactor_disable": (302, 405, 405, 405, 405),
    "twofactor_enrol": (302, 200, 200, 200, 200),
    "twofactor_new_codes": (302, 405, 405, 405, 405),
    "twofactor_security": (302, 200, 200, 200, 200),
    "twofactor_verify": (302, 302, 302, 302, 302),
    "version": (302, 404, 200, 200, 200),
}


def expected(name: str, role: str) -> int:
    """The status `role` gets for a GET of the URL called `name`."""
    return EXPECTED[name][ROLES.index(role)]


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
    "comments:reply": "thread",
    "comments:resolve": "thread",
    "comments:reattach": "thread",
    "comments:edit_comment": "comment",
    "comments:delete_comment": "comment",
    "comments:hide_comment": "comment",
    "notifications:open": "notification",
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
        elif not MEASURE and (name not in EXPECTED or status != expected(name, role)):
            wanted = expected(name, role) if name in EXPECTED else "no row in EXPECTED"
            problems.append(f"{name}: {status} for {role}, expected {wanted}")
    if MEASURE:
        print(f"\n{role}: {found!r}")
    assert not problems, "\n".join(problems)


def test_the_table_has_one_row_per_named_url():
    assert set(EXPECTED) == {name for name, _ in url_names()}
