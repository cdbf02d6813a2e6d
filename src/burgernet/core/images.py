"""The one image cleaner for everything people upload: tip photos, mail replies, mail logos and
action photos.

The browser's claimed content type and file name are ignored: the type is sniffed from the
first bytes, the image must open and verify with Pillow, and it is re-encoded from its pixels
into a new file, so EXIF (GPS position, camera serial), XMP, ICC comments and anything appended
after the image data never reach storage. The orientation tag is applied to the pixels first,
so a phone photo stays upright once the tag is gone.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Collection
from dataclasses import dataclass

from django.core.files.base import ContentFile, File
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000

JPEG, PNG, WEBP = "image/jpeg", "image/png", "image/webp"
WEB_IMAGE_TYPES: frozenset[str] = frozenset({JPEG, PNG, WEBP})
# E-mail clients (Outlook above all) do not all show WebP.
MAIL_IMAGE_TYPES: frozenset[str] = frozenset({JPEG, PNG})

_FORMATS = {JPEG: ("JPEG", "jpg"), PNG: ("PNG", "png"), WEBP: ("WEBP", "webp")}


class ImageError(ValueError):
    """The upload is not an acceptable image. The message says why, for the person who sent it;
    `code` (too_large, empty, wrong_type, unreadable, too_many_pixels) lets a caller word it in
    its own context."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CleanImage:
    """A re-encoded image, ready to save: `file` has a random name with the right extension."""

    file: ContentFile[bytes]
    content_type: str
    sha256: str
    size: int
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The content type from magic bytes: JPEG, PNG, WebP or MP4 video; None otherwise."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[4:8] == b"ftyp" and data[8:12] in (
        b"isom",
        b"iso2",
        b"mp41",
        b"mp42",
        b"avc1",
        b"M4V ",
        b"dash",
    ):
        return "video/mp4"
    return None


def image_clean(
    *,
    data: bytes,
    types: Collection[str] = WEB_IMAGE_TYPES,
    max_bytes: int = MAX_IMAGE_BYTES,
) -> CleanImage:
    """Check size and type of an uploaded image and re-encode it without metadata.

    `types` are the accepted content types (sniffed, never taken from the upload); the result
    keeps the sniffed format. Raises ImageError with a message for the sender.
    """
    if len(data) > max_bytes:
        raise ImageError(
            _("The file is too large: at most %(mb)d MB.") % {"mb": max_bytes // 2**20},
            code="too_large",
        )
    if not data:
        raise ImageError(_("The file is empty."), code="empty")
    kind = sniff(data)
    if kind not in types or kind not in _FORMATS:
        names = ", ".join(sorted(_FORMATS[t][0].replace("WEBP", "WebP") for t in types))
        raise ImageError(
            _("This is not a photo we accept (%(types)s).") % {"types": names}, code="wrong_type"
        )
    fmt, ext = _FORMATS[kind]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise ImageError(_("The photo has too many pixels."), code="too_many_pixels")
            upright = ImageOps.exif_transpose(img)
            if fmt == "JPEG" or upright.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                pixels = upright.convert("RGB")
            else:
                pixels = upright.copy()
    except ImageError:
        raise
    except Exception as exc:  # Pillow raises many kinds for broken or hostile files
        raise ImageError(_("The photo could not be read."), code="unreadable") from exc
    # A fresh image: only pixels (and a palette) are carried over, never `info` or EXIF.
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    if pixels.mode == "P" and (palette := pixels.getpalette()) is not None:
        clean.putpalette(palette)
    out = io.BytesIO()
    if fmt == "PNG":
        clean.save(out, format=fmt)
    else:
        clean.save(out, format=fmt, quality=85)
    body = out.getvalue()
    return CleanImage(
        file=ContentFile(body, name=f"{uuid.uuid4().hex}.{ext}"),
        content_type=kind,
        sha256=hashlib.sha256(body).hexdigest(),
        size=len(body),
        width=clean.width,
        height=clean.height,
    )


def upload_read(upload: File[bytes], *, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The bytes of an uploaded file, refusing one over `max_bytes` before reading it."""
    if upload.size is not None and upload.size > max_bytes:
        raise ImageError(
            _("The file is too large: at most %(mb)d MB.") % {"mb": max_bytes // 2**20},
            code="too_large",
        )
    upload.seek(0)
    return upload.read(max_bytes + 1)
