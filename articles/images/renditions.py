"""Clean copies of a verified image (upright, sRGB, no metadata) in a few widths, stored under its content hash.

Nothing from the source file survives but pixels: EXIF (camera, GPS position), XMP, comments and ICC profiles
are dropped, and every copy is re-encoded, so a polyglot file (an image that is also HTML) never reaches media.
"""

from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from PIL import Image, ImageCms, ImageOps

from articles.images.verify import VerifiedImage

# Identified format -> how the clean full-size copy ("original") is saved. GIF keeps its first frame, losslessly.
ORIGINAL_ENCODINGS = {
    "JPEG": ("JPEG", "jpg", {"quality": 90}),
    "PNG": ("PNG", "png", {"compress_level": 4}),
    "GIF": ("PNG", "png", {"compress_level": 4}),
    "WEBP": ("WEBP", "webp", {"quality": 90, "method": 4}),
}
RENDITION_ENCODING = ("WEBP", "webp", {"quality": 80, "method": 4})
# Renditions fit in width x (MAX_ASPECT x width): a 400x40000 strip must not become a 400x40000 "thumbnail"
# (and WebP cannot exceed 16383 pixels a side).
MAX_ASPECT = 4
ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class Encoded:
    data: bytes
    width: int
    height: int
    extension: str


@dataclass(frozen=True)
class StoredImage:
    file_name: str  # the clean full-size copy
    renditions: dict[str, dict]  # size name -> {"name": storage name, "width", "height"}


def store_image(
    verified: VerifiedImage, *, content_sha256: str, widths: dict[str, int], storage: Storage
) -> StoredImage:
    """Encode the clean copy and renditions and write them under `images/<2>/<sha256>/` (existing files are kept)."""
    clean = clean_image(verified.image)
    folder = f"images/{content_sha256[:2]}/{content_sha256}"
    original = encode(clean, *ORIGINAL_ENCODINGS[verified.format])
    file_name = _save(storage, f"{folder}/original.{original.extension}", original.data)
    renditions = {
        name: {
            "name": _save(storage, f"{folder}/{name}-{copy.width}.{copy.extension}", copy.data),
            "width": copy.width,
            "height": copy.height,
        }
        for name, copy in make_renditions(clean, widths).items()
    }
    return StoredImage(file_name=file_name, renditions=renditions)


def clean_image(image: Image.Image) -> Image.Image:
    """An upright RGB(A) copy in sRGB, with no metadata left in `info`."""
    try:
        image = ImageOps.exif_transpose(image)
    except Exception:  # broken EXIF: keep the pixels as stored rather than lose the image
        image = image.copy()
    image = _to_srgb(image)
    has_alpha = image.mode in ALPHA_MODES or "transparency" in image.info
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")  # 16-bit grey
    clean = image.convert("RGBA" if has_alpha else "RGB")
    # Pillow writes some `info` entries (comments, for one) back out on save: nothing may carry over.
    clean.info = {}
    return clean


def make_renditions(clean: Image.Image, widths: dict[str, int]) -> dict[str, Encoded]:
    """One WebP per named width, never upscaled; each smaller size is made from the previous one (faster)."""
    renditions = {}
    source = clean
    for name, width in sorted(widths.items(), key=lambda item: -item[1]):
        size = fit(clean.size, width)
        if size != source.size:
            source = source.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
        renditions[name] = encode(source, *RENDITION_ENCODING)
    return renditions


def fit(size: tuple[int, int], max_width: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, max_width / width, max_width * MAX_ASPECT / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode(image: Image.Image, image_format: str, extension: str, options: dict) -> Encoded:
    buffer = BytesIO()
    image.save(buffer, image_format, **options)
    return Encoded(data=buffer.getvalue(), width=image.width, height=image.height, extension=extension)


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert through an embedded ICC profile (wide-gamut photos would look dull once it is dropped)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(profile).lower():
            return image
        output_mode = "RGBA" if image.mode in ALPHA_MODES else "RGB"
        return ImageCms.profileToProfile(image, profile, ImageCms.createProfile("sRGB"), outputMode=output_mode)
    except Exception:  # a bad or unusual profile: fall back to plain conversion
        return image


def _save(storage: Storage, name: str, data: bytes) -> str:
    # Names are derived from the content hash, so an existing file already holds these bytes.
    if storage.exists(name):
        return name
    return storage.save(name, ContentFile(data, name=name))
