"""The region's languages in the browser: a counterpart chooses Albanian on the login page and
comments in it; the editor, who reads Macedonian, is told in Macedonian."""

import pytest
from django.utils import translation
from django.utils.translation import gettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from comments.actions import locate_selection, open_thread
from comments.models import Thread
from handbook_review.notifications.models import Notification
from tests.browser.conftest import PASSWORD, totp_code

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORDS = "mark every firearm"


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def test_albanian_reviewer_replies_and_the_macedonian_editor_is_told_in_macedonian(
    page, browser, log_in, live_server, chapter, counterpart, editor
):
    editor.language = "mk"
    editor.save()
    thread = open_thread(
        chapter,
        by=editor,
        anchor=locate_selection(chapter, version=chapter.version, exact=WORDS),
        body="Which marking standard applies here?",
    )

    # On the login page, before logging in: the language menu in the header.
    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option("#language-choice", "sq")
    page.click(".language-menu button[type=submit]")
    page.wait_for_selector('html[lang="sq"]')
    assert translated("sq", "Log in") in page.text_content("main h1")
    page.fill("#id_username", counterpart.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    counterpart.refresh_from_db()
    assert counterpart.language == "sq"

    page.goto(live_server.url + chapter.get_absolute_url())
    assert page.get_attribute("html", "lang") == "sq"
    assert page.get_attribute("#chapter-body", "lang") == chapter.handbook.language
    article = f"#thread-{thread.pk}"
    page.click(f"{article} .open-thread a")
    page.wait_for_selector(f"{article}.expanded")
    page.fill(f"#reply-{thread.pk}", "Standardi i OKB-së për shënjimin.")
    page.click(f"{article} form.reply button[type=submit]")
    page.wait_for_selector(f"{article} >> text=Standardi i OKB-së për shënjimin.")
    assert Thread.objects.get(pk=thread.pk).comments.count() == 2

    [notice] = Notification.objects.filter(recipient=editor)
    with translation.override("mk"):
        opening = gettext("%(author)s replied on %(where)s").split("%(author)s")[1].split("%")[0]
    assert opening.strip() and opening in notice.subject

    # The editor, in another browser, reads it in Macedonian.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    editor_page = context.new_page()

    device = TOTPDevice.objects.create(user=editor, name="app", confirmed=True)
    editor_page.goto(f"{live_server.url}/accounts/login/")
    editor_page.fill("#id_username", editor.email)
    editor_page.fill("#id_password", PASSWORD)
    editor_page.click("main form button[type=submit]")
    editor_page.fill("#id_code", totp_code(device))
    editor_page.click("main form button[type=submit]")
    editor_page.wait_for_url(lambda url: "/accounts/security/verify/" not in url)
    editor_page.goto(f"{live_server.url}/notifications/")
    assert editor_page.get_attribute("html", "lang") == "mk"
    assert notice.subject in editor_page.text_content("main")
    assert translated("mk", "Notifications") in editor_page.text_content("main h1")
    context.close()
