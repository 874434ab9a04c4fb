"""The shape every permission policy has (chapters/policies.py, comments/policies.py).

A policy is the one place that says who may do what to one kind of object, in both directions:

- `can(user, action)`: may this user do it (the role's permission; the object's visibility is
  the caller's `visible_to` query, which it has usually run already to find the object);
- `visible_to(user)`: the objects of this kind the user may see;
- `users_who_can(action, obj)`: the active users who may do it to this object, as one query
  (to pick whom to tell of a change).

Both directions are written next to each other so that they stay one rule; the tests check
that they agree. No `has_perm("…")` string appears outside a policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from django.contrib.auth.models import AnonymousUser, Permission
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.functional import Promise

from handbook_review.people.models import User

Someone = User | AnonymousUser
StrOrPromise = str | Promise


def having(permission: str) -> Q:
    """Users holding `app_label.codename`: through a group, on their own, or as superusers."""
    app_label, codename = permission.split(".")
    granted = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    return Q(
        pk__in=User.objects.filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=granted)
            | Q(user_permissions__in=granted)
        ).values("pk")
    )


class Policy:
    """Actions mapped to the permission a role must hold for them; subclasses add the objects."""

    permissions: ClassVar[Mapping[str, str]] = {}
    refusals: ClassVar[Mapping[str, StrOrPromise]] = {}

    def can(self, user: Someone, action: str) -> bool:
        # has_perm is False for anonymous and inactive users and caches a user's permissions,
        # so asking many times in one request costs one query.
        return user.has_perm(self.permissions[action])

    def require(self, user: Someone, action: str) -> None:
        """PermissionDenied (a 403 in a view) unless the user may."""
        if not self.can(user, action):
            raise PermissionDenied(self.refusals.get(action, ""))

    def holders(self, action: str) -> QuerySet[User]:
        """Active users whose role allows the action, on any object."""
        return User.objects.filter(is_active=True).filter(having(self.permissions[action]))
