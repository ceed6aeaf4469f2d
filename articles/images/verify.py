"""What downloaded bytes really are: a JPEG, PNG, GIF or WebP image that Pillow decodes completely, or a refusal.

Headers and file extensions are never consulted: a server may call anything `image/jpeg`.
"""

import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = ("JPEG", "PNG", "GIF", "WEBP")

# Pillow's own bomb guard, process-wide, at our limit (it warns above it and refuses at twice it). The explicit
# check in verify_image() reads the setting on every call; this keeps any other Pillow use in the process bounded.
Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS


class ImageRejected(Exception):
    """The bytes are not an image we accept."""


@dataclass
class VerifiedImage:
    image: Image.Image  # fully decoded (the first frame of an animation)
    format: str  # as identified by Pillow from the bytes
    width: int
    height: int


def verify_image(data: bytes, *, max_pixels: int) -> VerifiedImage:
    """Identify, bound and fully decode `data`; raise ImageRejected with a reason fit for an editor."""
    if _looks_like_markup(data):
        # SVG can carry scripts; it is never handed to a decoder nor served as an image.
        kind = "SVG" if b"<svg" in data[:4096].lower() else "markup (HTML/XML)"
        raise ImageRejected(f"{kind}, not an image")
    # Pillow's own bomb check warns (and errors only above twice its limit): a warning must stop us too.
    # catch_warnings is process-wide and not thread-safe before Python 3.14, so the explicit size check
    # below is what actually bounds pixels; this is a second line of defence.
    image_format = "unknown"
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(BytesIO(data), formats=ALLOWED_FORMATS) as probe:
                _check_pixels(probe.size, max_pixels)
                image_format = probe.format
                probe.verify()
            # verify() leaves the image unusable and does not decode pixel data: open again and decode it all,
            # which is what catches a truncated JPEG.
            image = Image.open(BytesIO(data), formats=(image_format,))
            _check_pixels(image.size, max_pixels)
            image.load()
        except ImageRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRejected("too many pixels (refused by Pillow's decompression-bomb guard)") from None
        except UnidentifiedImageError:
            raise ImageRejected("not a JPEG, PNG, GIF or WebP image") from None
        except Exception as exc:  # a decoder fed hostile bytes may raise almost anything
            raise ImageRejected(f"damaged or truncated {image_format} image: {exc}") from None
    return VerifiedImage(image=image, format=image_format, width=image.width, height=image.height)


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise ImageRejected("image has no pixels")
    if width * height > max_pixels:
        raise ImageRejected(f"too many pixels ({width}x{height}; limit {max_pixels:,})")


def _looks_like_markup(data: bytes) -> bool:
    head = data[:256].lstrip(b"\xef\xbb\xbf \t\r\n\f")
    return head.startswith(b"<")
