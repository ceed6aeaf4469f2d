"""Verification: only what Pillow identifies and decodes completely, in four formats, within a pixel bound."""

import pytest
from PIL import Image

from articles.images.verify import ImageRejected, verify_image
from tests.images import samples

LIMIT = 40_000_000


RED = (255, 0, 0, 255)
PHOTO_BLUE = (40, 90, 160, 255)
LOGO_BLUE = (10, 120, 200, 255)
TRANSPARENT = (0, 0, 0, 0)


@pytest.mark.parametrize(
    ("data", "image_format", "size", "pixels", "tolerance"),
    [
        # The photo's red marker covers its top-left quarter; JPEG and lossy WebP shift colours a little.
        (samples.photo((1600, 1000)), "JPEG", (1600, 1000), {(0, 0): RED, (1599, 999): PHOTO_BLUE}, 8),
        (samples.logo_png(), "PNG", (300, 120), {(0, 0): TRANSPARENT, (150, 60): LOGO_BLUE}, 0),
        (samples.animated_gif(), "GIF", (200, 150), {(0, 0): (*samples.GIF_FRAME_COLOURS[0], 255)}, 0),
        (samples.webp(), "WEBP", (640, 480), {(0, 0): (200, 100, 50, 255), (639, 479): (200, 100, 50, 255)}, 8),
    ],
)
def test_accepts_the_four_formats_by_their_bytes_and_decodes_them(data, image_format, size, pixels, tolerance):
    verified = verify_image(data, max_pixels=LIMIT)
    assert (verified.format, (verified.width, verified.height)) == (image_format, size)
    decoded = verified.image.convert("RGBA")
    for point, expected in pixels.items():
        got = decoded.getpixel(point)
        assert all(abs(a - b) <= tolerance for a, b in zip(got, expected, strict=True)), (point, got, expected)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (samples.TEXT_NAMED_JPG, "not a JPEG, PNG, GIF or WebP image"),
        (samples.SVG_WITH_SCRIPT, "SVG"),
        (b"\n  \xef\xbb\xbf<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "SVG"),
        (samples.HTML_PAGE, "markup"),
        (samples.truncated_jpeg(), "damaged or truncated JPEG"),
        (samples.logo_png()[:-30], "damaged or truncated PNG"),
        (samples.webp()[:200], "damaged or truncated|not a JPEG"),
        (samples.other_format("BMP"), "not a JPEG, PNG, GIF or WebP image"),
        (samples.other_format("TIFF"), "not a JPEG, PNG, GIF or WebP image"),
        (samples.other_format("ICO"), "not a JPEG, PNG, GIF or WebP image"),
        (samples.other_format("PPM"), "not a JPEG, PNG, GIF or WebP image"),
        (b"", "not a JPEG, PNG, GIF or WebP image"),
        (b"\xff\xd8\xff", "damaged or truncated|not a JPEG"),
    ],
)
def test_refuses_what_is_not_a_whole_accepted_image(data, reason):
    with pytest.raises(ImageRejected, match=reason):
        verify_image(data, max_pixels=LIMIT)


def test_decompression_bomb_is_refused_before_decoding():
    bomb = samples.png_bomb(12000, 12000)  # 17 KB of file, 144 million pixels
    assert len(bomb) < 50_000
    with pytest.raises(ImageRejected, match="too many pixels"):
        verify_image(bomb, max_pixels=LIMIT)


def test_pillows_bomb_warning_is_an_error_even_under_a_lax_limit(settings):
    # 56 million pixels: between Pillow's warning threshold (Image.MAX_IMAGE_PIXELS, set from IMAGE_MAX_PIXELS)
    # and twice it, where Pillow only warns; the caller's own limit here is absurdly lax.
    assert Image.MAX_IMAGE_PIXELS == settings.IMAGE_MAX_PIXELS < 56_000_000 < 2 * Image.MAX_IMAGE_PIXELS
    with pytest.raises(ImageRejected, match="too many pixels"):
        verify_image(samples.png_bomb(8000, 7000), max_pixels=10**12)


def test_pixel_limit_comes_from_the_caller():
    photo = samples.photo((1600, 1000))
    with pytest.raises(ImageRejected, match=r"too many pixels \(1600x1000; limit 1,000,000\)"):
        verify_image(photo, max_pixels=1_000_000)
    assert verify_image(photo, max_pixels=1_600_000).width == 1600
