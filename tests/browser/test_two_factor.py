"""The second factor in Chromium: an editor enrols with a code computed from the key the page
shows, logs out, logs in with a code, then with a recovery code, refused the second time."""

import re
import time

import pyotp
import pytest

from tests.browser.conftest import PASSWORD

# live_server answers from another thread, so the test commits for real; the serialized rollback
# puts back the groups and jurisdictions the migrations made.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def password_login(page, live_server, person) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", person.email)
    page.fill("#id_password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def log_out(page) -> None:
    page.click('header form[action$="/accounts/logout/"] button[type=submit]')
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_enrol_log_in_with_a_code_and_with_a_recovery_code_once(page, live_server, editor):
    password_login(page, live_server, editor)
    # Any page leads to enrolment first.
    assert "/accounts/security/enrol/" in page.url
    assert page.locator("img.qr-code").get_attribute("src").startswith("data:image/svg+xml")
    secret = page.locator("#otp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.fill("#id_code", totp.now())
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/security/codes/"))
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    page.click("text=I have saved them, continue")
    page.wait_for_url(lambda url: "/accounts/security/" not in url)
    assert page.locator("h1").count() == 1

    log_out(page)
    password_login(page, live_server, editor)
    assert "/accounts/security/verify/" in page.url
    # The step after the one used to enrol (a code is accepted once; one step of tolerance).
    page.fill("#id_code", totp.at(time.time(), counter_offset=1))
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/security/" not in url)

    log_out(page)
    password_login(page, live_server, editor)
    page.fill("#id_code", codes[0])
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/security/" not in url)

    log_out(page)
    password_login(page, live_server, editor)
    page.fill("#id_code", codes[0])
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/accounts/security/verify/" in page.url
    assert "can be used only once" in page.locator("main").inner_text()
    page.goto(f"{live_server.url}/")
    assert "/accounts/security/verify/" in page.url
