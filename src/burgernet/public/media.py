"""Uploaded tip media: sniff the type from the bytes, strip metadata by re-encoding images.

The browser's claimed content type and file name are ignored. Images (JPEG, PNG, WebP) must
open and verify with Pillow and are re-encoded from pixels, so EXIF (GPS position, camera
serial) never reaches storage. Video is accepted only as MP4 (ISO BMFF `ftyp` box) and stored
as sent: re-encoding video needs tools this system does not ship (documented in docs/public.md).
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

MAX_MEDIA_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000


class MediaError(ValueError):
    """The upload is not acceptable; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class CleanMedia:
    file: ContentFile[bytes]
    content_type: str


def sniff(data: bytes) -> str | None:
    """The content type from magic bytes, or None when it is not one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
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


_FORMATS = {
    "image/jpeg": ("JPEG", "jpg"),
    "image/png": ("PNG", "png"),
    "image/webp": ("WEBP", "webp"),
}


def media_clean(*, data: bytes) -> CleanMedia:
    """Check size and type and strip metadata; raise MediaError with a clear message."""
    if len(data) > MAX_MEDIA_BYTES:
        raise MediaError(_("The file is too large: at most 10 MB."))
    if not data:
        raise MediaError(_("The file is empty."))
    kind = sniff(data)
    if kind is None:
        raise MediaError(_("Send a photo (JPEG, PNG or WebP) or a video (MP4)."))
    if kind == "video/mp4":
        return CleanMedia(ContentFile(data, name=f"{uuid.uuid4().hex}.mp4"), kind)
    fmt, ext = _FORMATS[kind]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > MAX_PIXELS:
                raise MediaError(_("The photo has too many pixels."))
            # Apply the orientation tag before it is dropped, then copy pixels only.
            upright = ImageOps.exif_transpose(img)
            pixels = upright.convert("RGB") if fmt == "JPEG" else upright.copy()
    except MediaError:
        raise
    except Exception as exc:
        raise MediaError(_("The photo could not be read.")) from exc
    clean = Image.new(pixels.mode, pixels.size)
    clean.paste(pixels)
    out = io.BytesIO()
    if fmt == "PNG":
        clean.save(out, format=fmt)
    else:
        clean.save(out, format=fmt, quality=85)
    return CleanMedia(ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{ext}"), kind)
