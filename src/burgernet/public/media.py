"""Uploaded tip media: photos go through the shared image cleaner (`core.images`), which
sniffs the type from the bytes and re-encodes from pixels, so EXIF (GPS position, camera
serial) never reaches storage. Video is accepted only as MP4 (ISO BMFF `ftyp` box) and stored
as sent: re-encoding video needs tools this system does not ship (documented in docs/public.md).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from burgernet.core.images import MAX_IMAGE_BYTES, ImageError, image_clean, sniff

MAX_MEDIA_BYTES = MAX_IMAGE_BYTES


class MediaError(ValueError):
    """The upload is not acceptable; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class CleanMedia:
    file: ContentFile[bytes]
    content_type: str


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
    try:
        image = image_clean(data=data)
    except ImageError as exc:
        raise MediaError(exc.message) from None
    return CleanMedia(image.file, image.content_type)
