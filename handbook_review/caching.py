"""Caching what is derived from an immutable version: a chapter's HTML at version 7, a thread
card at its last change. The key names the version, so an entry is never stale, only unused; it
expires after VERSIONED_TIMEOUT so that old versions leave the cache by themselves.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache

# Long enough that a chapter read daily stays warm; short enough that old versions age out.
VERSIONED_TIMEOUT = 60 * 60 * 24 * 30


def versioned[T](key: str, compute: Callable[[], T]) -> T:
    """The value cached under `key`, computed and stored if it is not there."""
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, timeout=VERSIONED_TIMEOUT)
    return found
