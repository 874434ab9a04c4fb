"""Exports embed only the exported handbook's own images: nothing remote, nothing on loopback,
no other file on disk, no other handbook's image, in any format.

The chapter below asks for all of those; a real HTTP server on 127.0.0.1 counts the requests it
gets (none), and every container is unpacked and searched for the bytes of the files planted
where a traversal would find them.
"""

import base64
import io
import re
import subprocess
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chapters import exporting
from chapters.editions import draft_document
from tests import factories

EXPORT_MARKER = b"PLANTED-EXPORT-MARKER-5d1e"
FOREIGN_MARKER = b"FOREIGN-IMAGE-MARKER-c4a9"
PASSWD_MARKER = b"root:x:0:0"


@pytest.fixture
def loopback():
    """A local HTTP server that counts what it is asked for (and answers with a PNG)."""
    asked: list[str] = []
    image = factories.png((5, 5), "green")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(image)))
            self.end_headers()
            self.wfile.write(image)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", asked
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def scene(settings, tmp_path, handbook, editor, loopback):
    settings.MEDIA_ROOT = tmp_path
    base, _asked = loopback
    own = factories.stored_image(handbook, data=factories.png((8, 8), "blue"))
    other_book = factories.handbook(codes=("RS",))
    foreign_png = factories.png((13, 7), "yellow")
    foreign = factories.stored_image(other_book, data=foreign_png + FOREIGN_MARKER)
    planted = default_storage.save("exports/" + "e" * 32 + ".html", ContentFile(EXPORT_MARKER))
    # A file named like an image but outside images/, reachable only by traversal.
    default_storage.save("exports/" + "a" * 32 + ".png", ContentFile(EXPORT_MARKER))
    body = "\n\n".join(
        [
            "Text before the images.",
            f"![own diagram]({own.url})",
            "![external](https://example.com/diagram.png)",
            f"![loopback]({base}/counted.png)",
            f"![loopback by name](http://localhost:{base.rsplit(':', 1)[1]}/named.png)",
            "![passwd](file:///etc/passwd)",
            f"![up one](../{planted})",
            f"![exports](/media/{planted})",
            f"![dotted](/media/images/../{planted})",
            f"![dotted png](/media/images/../exports/{'a' * 32}.png)",
            f"![encoded](/media/images/%2e%2e/exports/{'a' * 32}.png)",
            f"![foreign]({foreign.url})",
            f'<img src="{base}/raw-html.png" alt="raw html">',
            "Text after the images.",
        ]
    )
    chapter = factories.chapter(handbook, by=editor, body=body, in_round=False)
    return {
        "own": own,
        "own_bytes": (tmp_path / own.name).read_bytes(),
        "foreign": foreign,
        "versions": {str(chapter.pk): chapter.version},
        "media_root": Path(tmp_path),
    }


def render(fmt, scene, handbook):
    document = draft_document(handbook, scene["versions"])
    assert document.images == frozenset({scene["own"].name.removeprefix("images/")})
    make = exporting.FORMATS[fmt][0]
    return make(document, media_root=scene["media_root"])


def encodings(marker: bytes) -> list[bytes]:
    """The marker as it would appear raw, or inside base64 at any alignment."""
    found = [marker]
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + marker)[4:-4]
        found.append(encoded[: len(encoded) // 4 * 4])
    return found


def assert_no_leak(data: bytes, where: str) -> None:
    for marker in (EXPORT_MARKER, FOREIGN_MARKER, PASSWD_MARKER):
        for form in encodings(marker):
            assert form not in data, (where, marker, form)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def is_image(name: str) -> bool:
    return bool(re.search(r"\.(png|jpe?g|gif|webp)$", name))


def test_html_inlines_only_the_handbooks_own_image(scene, handbook, loopback):
    data = render("html", scene, handbook)
    _base, asked = loopback
    assert asked == []
    assert_no_leak(data, "html")
    uris = re.findall(rb'src="data:image/png;base64,([^"]+)"', data)
    assert [base64.b64decode(u) for u in uris] == [scene["own_bytes"]]
    text = data.decode()
    for alt in ("[external]", "[loopback]", "[passwd]", "[up one]", "[dotted]", "[foreign]"):
        assert alt in text
    # (The renderer never made file:///etc/passwd a link; it stays as plain text.)
    assert "127.0.0.1" not in text and 'src="file:' not in text and "example.com" not in text


def test_pdf_fetches_only_the_handbooks_own_image(scene, handbook, loopback, monkeypatch, tmp_path):
    fetched: list[str] = []
    real = exporting._local_fetcher

    def spying(allowed):
        fetcher = real(allowed)
        inner = fetcher.fetch

        def fetch(url, headers=None):
            fetched.append(url)
            return inner(url, headers)

        fetcher.fetch = fetch
        return fetcher

    monkeypatch.setattr(exporting.pdf, "_local_fetcher", spying)
    data = render("pdf", scene, handbook)
    _base, asked = loopback
    assert asked == []
    assert fetched == [(scene["media_root"] / scene["own"].name).as_uri()]
    assert_no_leak(data, "pdf")
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    listing = subprocess.run(  # noqa: S603 - fixed binary, our own temp file
        ["/usr/bin/pdfimages", "-list", str(path)], capture_output=True, text=True, check=True
    ).stdout
    sizes = [tuple(line.split()[3:5]) for line in listing.splitlines()[2:]]
    assert sizes == [("8", "8")]  # the own image; never the foreign 13 × 7 one


@pytest.mark.parametrize(("fmt", "folder"), [("docx", "word/media/"), ("epub", "EPUB/media/")])
def test_pandoc_formats_carry_only_the_handbooks_own_image(scene, handbook, loopback, fmt, folder):
    data = render(fmt, scene, handbook)
    _base, asked = loopback
    assert asked == []
    files = members(data)
    for name, content in files.items():
        assert_no_leak(content, f"{fmt}:{name}")
    images = [content for name, content in files.items() if is_image(name)]
    assert images == [scene["own_bytes"]], [n for n in files if is_image(n)]
    assert any(name.startswith(folder) for name in files if is_image(name))
    text = b"".join(files.values())
    assert b"127.0.0.1" not in text and b"example.com" not in text


def test_markdown_bundle_carries_only_the_handbooks_own_image(scene, handbook, loopback):
    data = render("md", scene, handbook)
    _base, asked = loopback
    assert asked == []
    files = members(data)
    for name, content in files.items():
        assert_no_leak(content, f"md:{name}")
    own = scene["own"].name
    assert {n: c for n, c in files.items() if n.startswith("media/")} == {
        f"media/{own}": scene["own_bytes"]
    }
    text = "".join(c.decode() for n, c in files.items() if n.endswith(".md"))
    assert f"![own diagram](media/{own})" in text
    for gone in ("example.com", "127.0.0.1", "localhost", "file:", "../", "/media/", "<img"):
        assert gone not in text.replace(f"media/{own}", ""), gone


def test_pandoc_itself_fetches_nothing(loopback, tmp_path):
    # Even if an image URL slipped past the filter, pandoc (sandboxed) would not fetch it.
    base, asked = loopback
    secret = tmp_path / "secret.png"
    secret.write_bytes(factories.png() + EXPORT_MARKER)
    source = (
        "<html><body><h1>T</h1>"
        f'<p><img src="{base}/pandoc.png" alt="a"><img src="{secret.as_uri()}" alt="b">'
        f'<img src="{secret}" alt="c"></p></body></html>'
    )
    for to, suffix in (("docx", ".docx"), ("epub3", ".epub")):
        try:
            data = exporting._pandoc(source, to, suffix, [])
        except exporting.ExportError:
            continue  # refusing is fine too; what matters is that nothing was fetched
        for name, content in members(data).items():
            assert EXPORT_MARKER not in content, (to, name)
    assert asked == []


def test_an_unlisted_image_of_the_right_form_is_not_embedded(scene, handbook):
    # The engines embed only what the caller lists: an empty list embeds nothing.
    document = draft_document(handbook, scene["versions"])
    bare = exporting.ExportDocument(
        **{**document.__dict__, "images": frozenset()}  # type: ignore[arg-type]
    )
    data = exporting.to_html(bare, media_root=scene["media_root"])
    assert b"data:image" not in data
    assert b"[own diagram]" in data
