"""The project as a whole: migrations match the models, production settings pass check --deploy,
and the demo loader produces the demo handbook."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command

from chapters.models import Chapter, Handbook, Status
from handbook_review.people.models import Role, User

ROOT = Path(__file__).resolve().parent.parent


def test_models_have_no_missing_migrations(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


PRODUCTION_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 20 + "a-real-secret-from-the-environment-8f3k2m9q",
    "ALLOWED_HOSTS": "review.example.org",
    "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
    "EMAIL_HOST": "smtp.example.org",
}


def check_deploy(**extra: str) -> subprocess.CompletedProcess[str]:
    """`manage.py check --deploy` in a production environment (plus `extra`), in a process."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        **PRODUCTION_ENVIRONMENT,
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_production_environment():
    result = check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_missing_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update({"DEBUG": "false", "ALLOWED_HOSTS": "review.example.org"})
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_demo_loader_creates_the_handbook_people_and_prints_logins(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    book = Handbook.objects.get(slug="firearms-western-balkans")
    chapters = list(book.chapters.order_by("number"))
    assert len(chapters) >= 10
    for chap in chapters:
        assert len(chap.body.split()) >= 300, chap.title
        assert "## " in chap.body
    assert any("|---" in c.body or "| ---" in c.body or "|:--" in c.body for c in chapters)
    assert {c.status for c in chapters} >= {Status.DRAFT, Status.IN_REVIEW, Status.APPROVED}
    # An administrator, two editors, and a border police and a customs counterpart per jurisdiction.
    counterparts = User.objects.filter(groups__name=Role.COUNTERPART.value)
    assert counterparts.count() == 12
    assert set(counterparts.values_list("jurisdiction__code", flat=True)) == {
        "AL",
        "BA",
        "XK",
        "ME",
        "MK",
        "RS",
    }
    assert User.objects.filter(groups__name=Role.EDITOR.value).count() == 2
    printed = out.getvalue()
    assert "editor.seesac@example.org" in printed and "border.rs@example.org" in printed
    assert "review-demo-2026" in printed

    again = StringIO()
    call_command("load_demo", stdout=again)  # idempotent
    assert Handbook.objects.count() == 1
    assert Chapter.objects.count() == len(chapters)
    assert "already loaded" in again.getvalue()
