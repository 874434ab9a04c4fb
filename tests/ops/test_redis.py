"""The caches as configured: per-process memory and the database without REDIS_URL, Redis with
it. CI runs this module (with the chapter, import and notification tests) once more with
REDIS_URL=redis://127.0.0.1:6379/15, so every documented configuration is tested."""

import os
import pickle

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.urls import reverse

from chapters import rendering
from handbook_review.ops.cache import SharedDatabaseCache
from tests import factories
from tests.conftest import client_for

REDIS_URL = os.environ.get("REDIS_URL", "")


def test_caches_follow_redis_url():
    if REDIS_URL:
        assert isinstance(caches["default"], RedisCache)
        assert isinstance(caches["shared"], RedisCache)
    else:
        assert isinstance(caches["default"], LocMemCache)
        assert isinstance(caches["shared"], SharedDatabaseCache)


@pytest.mark.parametrize("who", ["editor", "counterpart"])
def test_chapter_page_is_rendered_once_then_served_from_the_cache(
    request, chapter, editor, monkeypatch, who
):
    factories.comment_thread(chapter, by=editor, body="Which calibre exactly?")
    caches["default"].clear()  # making the thread rendered the chapter already
    renders = []
    real = rendering.render_reusing
    monkeypatch.setattr(
        rendering, "render_reusing", lambda *a, **k: renders.append(1) or real(*a, **k)
    )
    client = client_for(request.getfixturevalue(who))
    url = reverse("chapter", args=[chapter.handbook.slug, chapter.pk])
    first = client.get(url)
    assert renders == [1]
    second = client.get(url)
    assert renders == [1]  # the HTML came from the cache
    for response in (first, second):
        assert response.status_code == 200
        assert b"The Firearms Protocol obliges States" in response.content
        assert b"Which calibre exactly?" in response.content  # the thread card
    assert first.content.count(b"Which calibre exactly?") == second.content.count(
        b"Which calibre exactly?"
    )
    key = (
        f"chapter-html:{chapter.pk}:{chapter.version}:{chapter.number}:{rendering.RENDERER_VERSION}"
    )
    if REDIS_URL:
        # In Redis itself, not in this process: a new client (as another worker) finds it.
        other_worker = RedisCache(REDIS_URL, {})
        assert "Firearms Protocol" in other_worker.get(key)
    else:
        assert "Firearms Protocol" in caches["default"].get(key)


def test_what_the_pages_cache_survives_pickling(chapter, editor, counterpart):
    """Redis pickles every value: nothing cached may be a lambda or a process-bound object."""
    factories.comment_thread(chapter, by=counterpart)
    client_for(counterpart).get(reverse("chapter", args=[chapter.handbook.slug, chapter.pk]))
    client_for(editor).get(reverse("chapter", args=[chapter.handbook.slug, chapter.pk]))
    cache = caches["default"]
    if isinstance(cache, LocMemCache):
        values = [pickle.loads(v) for v in cache._cache.values()]  # noqa: S301 - our own values  # LocMem pickles as well
    else:
        client = cache._cache.get_client()
        # Keys of the default alias are ":1:<key>" (no prefix, version 1).
        values = [cache.get(k.decode()[3:]) for k in client.keys(":1:*")]
    kinds = {type(v).__name__ for v in values}
    assert values and kinds <= {"str", "SafeString", "list", "dict", "int"}
    for value in values:
        assert pickle.loads(pickle.dumps(value)) == value  # noqa: S301 - our own values
