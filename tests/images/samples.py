"""Image files (and things pretending to be images) for the pipeline's tests, made in memory."""

import struct
import zlib
from io import BytesIO

from PIL import ExifTags, Image

GPS_LATITUDE = (51.0, 30.0, 26.0)


def photo(size=(1600, 1000), *, orientation: int | None = None, seed: int = 0, image_format: str = "JPEG") -> bytes:
    """A JPEG (by default) with camera EXIF, a GPS position, a comment and XMP: everything renditions must drop."""
    image = Image.new("RGB", size, (40 + seed % 200, 90, 160))
    # A marker in the top-left corner, to check that EXIF orientation is applied.
    image.paste((255, 0, 0), (0, 0, size[0] // 4, size[1] // 4))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif.get_ifd(ExifTags.IFD.GPSInfo).update(
        {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: GPS_LATITUDE}
    )
    buffer = BytesIO()
    extra = (
        {"comment": b"secret comment", "xmp": b"<x:xmpmeta>secret xmp</x:xmpmeta>"} if image_format == "JPEG" else {}
    )
    image.save(buffer, image_format, exif=exif, quality=85, **extra)
    return buffer.getvalue()


def logo_png(size=(300, 120)) -> bytes:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((10, 120, 200, 255), (20, 20, size[0] - 20, size[1] - 20))
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


GIF_FRAME_COLOURS = ((200, 30, 30), (30, 200, 30), (30, 30, 200))


def animated_gif(size=(200, 150)) -> bytes:
    frames = [
        Image.new("RGB", size, colour).convert("P", palette=Image.Palette.ADAPTIVE) for colour in GIF_FRAME_COLOURS
    ]
    buffer = BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, comment=b"secret comment")
    return buffer.getvalue()


def webp(size=(640, 480)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (200, 100, 50)).save(buffer, "WEBP", quality=80)
    return buffer.getvalue()


def other_format(image_format: str, size=(64, 64)) -> bytes:
    buffer = BytesIO()
    Image.new("RGB", size, (1, 2, 3)).save(buffer, image_format)
    return buffer.getvalue()


def truncated_jpeg() -> bytes:
    data = photo((800, 600), seed=7)
    return data[: len(data) // 2]


TEXT_NAMED_JPG = b"This is plain text served as photo.jpg, not an image.\n" * 20

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100" onload="alert(1)">'
    b"<script>fetch('/admin/').then(r => r.text()).then(t => alert(t))</script>"
    b'<rect width="100" height="100" fill="red"/></svg>'
)

HTML_PAGE = b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>"


def png_bomb(width: int = 12000, height: int = 12000) -> bytes:
    """A small PNG (a few KB) declaring width x height 1-bit pixels of zeros: a decompression bomb."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
