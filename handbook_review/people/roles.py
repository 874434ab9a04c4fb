"""What each role may do, as model permissions on its Django group.

Kept in code and applied after every `migrate`, so a permission added by a later migration reaches
the groups without a hand-written data migration, and the groups always match this table.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

from handbook_review.people.models import Role

COUNTERPART = [
    "chapters.view_handbook",
    "chapters.view_chapter",
    "comments.add_thread",
    "comments.add_comment",
    "comments.add_suggestion",
]
# Only counterparts sign off: a sign-off speaks for their jurisdiction. Where a jurisdiction has a
# coordinator, the coordinator's vote takes the sign-off's place (comments/actions/ballots.py).
SIGN_OFF = ["chapters.sign_off_round"]
COORDINATOR = [
    *COUNTERPART,
    "comments.coordinate_jurisdiction",
    "comments.cast_vote",
]
EDITOR = [
    *COUNTERPART,
    "chapters.view_draft_chapter",
    "chapters.add_chapter",
    "chapters.change_chapter",
    "chapters.change_handbook",
    "chapters.upload_image",
    "comments.view_all_threads",
    "comments.moderate_thread",
    "comments.decide_suggestion",
    "comments.dispose_thread",
    "chapters.manage_round",
    "chapters.transition_chapter",
    "chapters.publish_edition",
    "chapters.export_handbook",
]
ADMINISTRATOR = [
    *EDITOR,
    "chapters.add_handbook",
    "people.add_user",
    "people.change_user",
    "people.view_user",
    "people.view_jurisdiction",
    "people.view_auditevent",
    "auth.view_group",
    # Who downloaded which export (read-only in the admin), and the stored images.
    "chapters.view_exportdownload",
    "chapters.view_storedimage",
    # Logins: unlock a locked-out account or address; remove the second factor of someone who
    # lost their phone (they then enrol again at their next login).
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "axes.view_accesslog",
    "axes.view_accessfailurelog",
    "otp_totp.view_totpdevice",
    "otp_totp.delete_totpdevice",
    "otp_static.view_staticdevice",
    "otp_static.delete_staticdevice",
]

ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.COUNTERPART: COUNTERPART + SIGN_OFF,
    Role.COORDINATOR: COORDINATOR,
    Role.EDITOR: EDITOR,
    Role.ADMINISTRATOR: ADMINISTRATOR,
}


def sync_roles(**kwargs: Any) -> None:
    """Create the role groups; give each exactly the permissions above (those that exist)."""
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role.value)
        wanted = Q(pk__in=[])
        for name in names:
            app_label, codename = name.split(".")
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
