"""Images as the app keeps them: judged by content, capped in pixels, decoded and saved afresh.

Pure (no ORM): the editor's upload and the Word import both pass every image through
`reencode_image`, so no stored image carries metadata, trailing bytes or a decompression bomb.
"""

import warnings
from io import BytesIO
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from handbook_review.translation import gettext as _

ALLOWED_IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
# Checked on the header, before anything is decoded: 25 megapixels is a poster, and decoding
# more would let one upload take hundreds of MB of memory.
MAX_IMAGE_PIXELS = 25_000_000


class ImageRefused(ValueError):
    """The upload is not an image we keep; the message says why."""


def reencode_image(data: BytesIO) -> tuple[bytes, str, int, int]:
    """The image decoded and saved afresh: (bytes, extension, width, height).

    Judged by content, not by name. The EXIF orientation is applied, then the pixels are
    saved anew, so metadata (EXIF, GPS, comments, colour profiles) and anything appended after
    the image data are gone. An animated GIF keeps only its first frame.
    """
    try:
        with warnings.catch_warnings():
            # Pillow warns of large images; the pixel count is checked below, on the header.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(data)
        with image:
            kind = ALLOWED_IMAGE_FORMATS.get(image.format or "")
            if kind is None:
                raise ImageRefused(_("This file is not a PNG, JPEG, GIF or WebP image."))
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageRefused(
                    _(
                        "This image is %(width)s × %(height)s pixels; images may have at most "
                        "25 megapixels. Make it smaller and upload it again."
                    )
                    % {"width": width, "height": height}
                )
            image.seek(0)
            image.load()
            try:
                fresh = ImageOps.exif_transpose(image)
            except Exception:  # a malformed EXIF block: keep the pixels as they are
                fresh = image.copy()
    except ImageRefused:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise ImageRefused(_("This file is not a PNG, JPEG, GIF or WebP image.")) from error
    except Image.DecompressionBombError as error:
        raise ImageRefused(_("This image has too many pixels to be stored.")) from error
    transparency = fresh.info.get("transparency")
    fresh.info = {}  # nothing of the original's metadata travels along
    if kind == "jpg" and fresh.mode not in ("RGB", "L"):
        fresh = fresh.convert("RGB")
    options: dict[str, Any] = {}
    if transparency is not None and kind in ("png", "gif"):
        options["transparency"] = transparency
    if kind in ("jpg", "webp"):
        options["quality"] = 90
    out = BytesIO()
    fresh.save(out, format={"jpg": "JPEG"}.get(kind, kind.upper()), **options)
    return out.getvalue(), kind, fresh.width, fresh.height
