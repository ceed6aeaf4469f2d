"""Renditions: upright, metadata-free, right-sized copies, named by content hash, written through storage."""

import hashlib
from io import BytesIO

import pytest
from django.core.files.storage import FileSystemStorage
from PIL import Image

from articles.images.renditions import fit, store_image
from articles.images.verify import verify_image
from tests.images import samples

WIDTHS = {"thumb": 400, "card": 1200}
SECRETS = (b"SecretCam", b"secret comment", b"secret xmp", b"Exif")


def stored_files(tmp_path, data):
    storage = FileSystemStorage(location=tmp_path)
    digest = hashlib.sha256(data).hexdigest()
    stored = store_image(verify_image(data, max_pixels=10**8), content_sha256=digest, widths=WIDTHS, storage=storage)
    return storage, digest, stored


def test_names_sizes_and_formats(tmp_path):
    data = samples.photo((1600, 1000))
    storage, digest, stored = stored_files(tmp_path, data)
    folder = f"images/{digest[:2]}/{digest}"
    assert stored.file_name == f"{folder}/original.jpg"
    assert stored.renditions == {
        "card": {"name": f"{folder}/card-1200.webp", "width": 1200, "height": 750},
        "thumb": {"name": f"{folder}/thumb-400.webp", "width": 400, "height": 250},
    }
    for rendition in stored.renditions.values():
        with storage.open(rendition["name"]) as handle, Image.open(handle) as image:
            assert (image.format, image.size) == ("WEBP", (rendition["width"], rendition["height"]))
    with storage.open(stored.file_name) as handle, Image.open(handle) as image:
        assert (image.format, image.size) == ("JPEG", (1600, 1000))


def test_exif_orientation_is_applied_and_all_metadata_dropped(tmp_path):
    data = samples.photo((1600, 1000), orientation=6)  # stored sideways: displayed 1000 wide, 1600 high
    assert all(secret in data for secret in SECRETS)
    storage, _, stored = stored_files(tmp_path, data)
    assert stored.renditions["card"]["width"] == 1000 and stored.renditions["card"]["height"] == 1600
    for name in [stored.file_name] + [r["name"] for r in stored.renditions.values()]:
        with storage.open(name) as handle:
            written = handle.read()
        assert not any(secret in written for secret in SECRETS), name
        with Image.open(BytesIO(written)) as image:
            assert not image.getexif()
            assert not {"exif", "xmp", "icc_profile", "comment"} & image.info.keys()
            # The red marker, top-left in the stored pixels, is top-right once rotated 90° clockwise.
            image = image.convert("RGB")
            assert image.getpixel((image.width - 5, 5))[0] > 200
            assert image.getpixel((5, 5))[0] < 100


@pytest.mark.parametrize(
    ("data", "original"),
    [(samples.logo_png(), "original.png"), (samples.animated_gif(), "original.png"), (samples.webp(), "original.webp")],
)
def test_small_images_are_never_upscaled(tmp_path, data, original):
    _, _, stored = stored_files(tmp_path, data)
    assert stored.file_name.endswith(original)
    with Image.open(BytesIO(data)) as source:
        for name, rendition in stored.renditions.items():
            assert (rendition["width"], rendition["height"]) == fit(source.size, WIDTHS[name])
            assert rendition["width"] <= source.width


def test_transparency_is_kept(tmp_path):
    storage, _, stored = stored_files(tmp_path, samples.logo_png())
    with storage.open(stored.renditions["thumb"]["name"]) as handle, Image.open(handle) as image:
        assert image.mode == "RGBA"
        assert image.getpixel((0, 0))[3] == 0


def test_tall_strips_are_bounded():
    assert fit((400, 40000), 400) == (16, 1600)
    assert fit((100, 100), 1200) == (100, 100)


def test_existing_files_are_reused_not_duplicated(tmp_path):
    data = samples.photo()
    _, _, first = stored_files(tmp_path, data)
    _, _, second = stored_files(tmp_path, data)
    assert first == second
    assert sum(1 for path in tmp_path.rglob("*") if path.is_file()) == 3
