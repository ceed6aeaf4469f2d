import pytest

from articles.models import Image
from articles.stories.identity import url_identity_hash
from providers.models import Provider
from tests.images.server import ImageServer


@pytest.fixture(scope="session")
def image_server():
    server = ImageServer().start()
    yield server
    server.stop()


@pytest.fixture
def server(image_server, settings):
    """The test server, emptied, and the only host the fetcher may reach; short limits keep tests fast."""
    image_server.reset()
    settings.IMAGE_FETCH_ALLOWED_HOSTS = [image_server.allowed]
    settings.IMAGE_FETCH_CONNECT_TIMEOUT = 2
    settings.IMAGE_FETCH_READ_TIMEOUT = 2
    settings.IMAGE_FETCH_TOTAL_TIMEOUT = 5
    yield image_server
    image_server.reset()


@pytest.fixture
def media(settings, tmp_path):
    """Media on the local file system, in a fresh directory."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def make_images(db):
    """Image rows for `urls`, `copies` of each, owned by providers (any owner will do for the pipeline)."""
    counter = {"n": 0}

    def make(urls: list[str], copies: int = 1, **fields) -> list[Image]:
        rows = []
        for _ in range(copies):
            counter["n"] += 1
            provider = Provider.objects.create(domain=f"outlet{counter['n']}.example", name=f"Outlet {counter['n']}")
            rows += [
                Image(provider=provider, url=url, url_hash=url_identity_hash(url), position=i, **fields)
                for i, url in enumerate(urls)
            ]
        return Image.objects.bulk_create(rows)

    return make
