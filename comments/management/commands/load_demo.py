"""Load the demo handbook, its people and its review history; idempotent, and prints the logins
every time.

It lives on the comments floor because the demo's history (comments/demo.py) is made of
comments, suggestions and decisions, which the chapters floor cannot name.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

import chapters
from chapters import review
from chapters.models import Handbook, Status
from comments import demo
from handbook_review import clock
from handbook_review.people import accounts
from handbook_review.people.models import JURISDICTIONS, Agency, Jurisdiction, Role, User

DEMO_DIR = Path(chapters.__file__).resolve().parent / "demo"
SLUG = "firearms-western-balkans"

EDITORS = [
    ("editor.frontex@example.org", "Katarzyna Nowak", "FRONTEX"),
    ("editor.seesac@example.org", "Sanja Marković", "SEESAC"),
]
# (jurisdiction code, border police officer, customs officer)
COUNTERPARTS = [
    ("AL", "Arben Hoxha", "Elira Çela"),
    ("BA", "Amir Hadžić", "Jelena Kovačević"),
    ("XK", "Driton Berisha", "Vlora Gashi"),
    ("ME", "Marko Vuković", "Ivana Radović"),
    ("MK", "Aleksandar Stojanovski", "Marija Nikolovska"),
    ("RS", "Nikola Petrović", "Milica Jovanović"),
]
# (e-mail, name, jurisdiction code): coordinators, who consolidate their jurisdiction's comments
# and cast its vote (Albania votes; the others keep signing off, to show both).
COORDINATORS = [("coordinator.al@example.org", "Besa Krasniqi", "AL")]
# The chapters of the first edition; the later ones are drafts added for the second. With
# comments/demo.py's reopening, the workflow shows every state: 1 approved, 2 in consolidation,
# 3 to 9 in review (in the workshop round), 10 and 11 drafts.
FIRST_EDITION = 9


def split_title(text: str) -> tuple[str, str]:
    first, _, rest = text.partition("\n")
    return first.lstrip("#").strip(), rest.lstrip("\n")


class Command(BaseCommand):
    help = (
        "Load the demo handbook (chapters, editors, counterparts, a review in progress and a "
        "published edition) and print the demo logins."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password",
            default=os.environ.get("DEMO_PASSWORD", "review-demo-2026"),
            help="Password for every demo user (default: review-demo-2026, or $DEMO_PASSWORD).",
        )

    @transaction.atomic
    def handle(self, *args: Any, password: str, **options: Any) -> None:
        logins = self.load_people(password)
        if Handbook.objects.filter(slug=SLUG).exists():
            self.stdout.write("The demo handbook is already loaded.")
        else:
            self.load_handbook(editor=User.objects.get(email=EDITORS[1][0]), cast=demo.Cast.load())
            self.stdout.write(self.style.SUCCESS("Demo handbook loaded."))
        self.stdout.write(f"\nDemo logins (password for all: {password}):")
        for email, name, role, affiliation in logins:
            self.stdout.write(f"  {role:<14} {email:<34} {name} ({affiliation})")

    def user(
        self, email: str, name: str, role: Role, password: str, **fields: Any
    ) -> tuple[str, str, str, str]:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email, password, name=name, **fields)
        accounts.set_role(user, role)
        return email, name, str(role.label), user.affiliation

    def load_people(self, password: str) -> list[tuple[str, str, str, str]]:
        for code, name, kind in JURISDICTIONS:
            Jurisdiction.objects.get_or_create(code=code, defaults={"name": name, "kind": kind})
        logins = [
            self.user(
                "admin@example.org",
                "Ana Administrator",
                Role.ADMINISTRATOR,
                password,
                jurisdiction=Jurisdiction.objects.get(code="SEESAC"),
                is_superuser=True,
            )
        ]
        for email, name, code in EDITORS:
            logins.append(
                self.user(
                    email,
                    name,
                    Role.EDITOR,
                    password,
                    jurisdiction=Jurisdiction.objects.get(code=code),
                )
            )
        for code, border_officer, customs_officer in COUNTERPARTS:
            where = Jurisdiction.objects.get(code=code)
            for agency, name, prefix in (
                (Agency.BORDER_POLICE, border_officer, "border"),
                (Agency.CUSTOMS, customs_officer, "customs"),
            ):
                logins.append(
                    self.user(
                        f"{prefix}.{code.lower()}@example.org",
                        name,
                        Role.COUNTERPART,
                        password,
                        jurisdiction=where,
                        agency=agency,
                    )
                )
        for email, name, code in COORDINATORS:
            logins.append(
                self.user(
                    email,
                    name,
                    Role.COORDINATOR,
                    password,
                    jurisdiction=Jurisdiction.objects.get(code=code),
                    agency=Agency.BORDER_POLICE,
                )
            )
        return logins

    def load_handbook(self, *, editor: User, cast: demo.Cast) -> None:
        title, description = split_title((DEMO_DIR / "handbook.md").read_text(encoding="utf-8"))
        handbook = Handbook.objects.create(
            title=title,
            slug=SLUG,
            description=description.strip(),
            language="en",
            organisations="FRONTEX, SEESAC",
        )
        handbook.jurisdictions.set(Jurisdiction.objects.filter(kind=Jurisdiction.Kind.COUNTRY))
        files = sorted(p for p in DEMO_DIR.glob("[0-9][0-9]-*.md"))
        for number, path in enumerate(files[:FIRST_EDITION], start=1):
            chapter_title, body = split_title(path.read_text(encoding="utf-8"))
            handbook.add_chapter(title=chapter_title, body=body, by=editor, number=number)
        # One chapter with a short history, so "History" and "Compare" have something to show.
        first = handbook.chapters.get(number=1)
        first.revise(
            body=first.body.replace("illicit", "illicit", 1) + "\n",
            by=editor,
            reason="Typographical corrections after the editorial meeting",
            base_version=first.version,
        )
        # The first consultation, closed, its chapters approved and published as edition 1.0.
        demo.first_consultation(handbook, cast)
        for number, path in enumerate(files[FIRST_EDITION:], start=FIRST_EDITION + 1):
            chapter_title, body = split_title(path.read_text(encoding="utf-8"))
            handbook.add_chapter(title=chapter_title, body=body, by=editor, number=number)
        demo.reopen_for_workshop(handbook, cast)
        # A round open now over the chapters in review, so the demo counterparts can comment.
        opens = timezone.localtime(clock.now())
        closes = opens + timedelta(days=30)
        workshop = review.open_round(
            handbook=handbook,
            name=f"Regional workshop, {opens:%-d %B} to {closes:%-d %B %Y}",
            opens_at=opens,
            closes_at=closes,
            chapters=handbook.chapters.filter(status=Status.IN_REVIEW),
            jurisdictions=handbook.jurisdictions.all(),
            by=editor,
        )
        demo.workshop_review(handbook, cast, workshop)
