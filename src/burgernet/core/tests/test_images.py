"""The shared image cleaner: what is stored has no metadata, and the type comes from the bytes."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from burgernet.core.images import MAIL_IMAGE_TYPES, ImageError, image_clean


def jpeg_with_gps(size: tuple[int, int] = (64, 48), orientation: int | None = None) -> bytes:
    image = Image.new("RGB", size, "red")
    image.putpixel((0, 0), (0, 0, 255))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 23.0), 3: "E", 4: (4.0, 53.0, 33.0)}  # GPS IFD
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_exif_and_gps_never_reach_the_cleaned_file() -> None:
    raw = jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as original:
        assert original.getexif().get_ifd(0x8825), "the test photo carries a GPS position"
    clean = image_clean(data=raw)
    body = clean.file.read()
    with Image.open(io.BytesIO(body)) as stored:
        assert stored.format == "JPEG"
        assert not stored.getexif()
        assert "exif" not in stored.info
    assert b"SpyCam" not in body
    assert clean.sha256 == hashlib.sha256(body).hexdigest() and clean.size == len(body)
    assert clean.file.name.endswith(".jpg") and clean.content_type == "image/jpeg"


def test_the_orientation_tag_is_applied_before_it_is_dropped() -> None:
    clean = image_clean(data=jpeg_with_gps(size=(64, 48), orientation=6))  # rotate 90°
    assert (clean.width, clean.height) == (48, 64)


def test_the_type_is_sniffed_not_taken_from_the_name() -> None:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(out, format="PNG")
    clean = image_clean(data=out.getvalue())  # a caller may have called it photo.jpg
    assert clean.content_type == "image/png" and clean.file.name.endswith(".png")


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"hello, this is text\n" * 5, "wrong_type"),
        (b"", "empty"),
        (b"\xff\xd8\xff" + b"broken" * 20, "unreadable"),
        (b"\xff\xd8\xff" + b"0" * (10 * 1024 * 1024), "too_large"),
    ],
)
def test_what_is_not_a_readable_photo_is_refused(data: bytes, code: str) -> None:
    with pytest.raises(ImageError) as caught:
        image_clean(data=data)
    assert caught.value.code == code and caught.value.message


def test_mail_accepts_no_webp() -> None:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(out, format="WEBP")
    assert image_clean(data=out.getvalue()).content_type == "image/webp"
    with pytest.raises(ImageError) as caught:
        image_clean(data=out.getvalue(), types=MAIL_IMAGE_TYPES)
    assert caught.value.code == "wrong_type"
