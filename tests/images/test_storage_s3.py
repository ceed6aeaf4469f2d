"""Media on S3-compatible storage through django-storages, end to end against moto's server on 127.0.0.1."""

import os
import subprocess
import sys
import uuid
from io import BytesIO
from pathlib import Path

import boto3
import pytest
from django.db import connection
from moto.server import ThreadedMotoServer
from PIL import Image as PILImage

from articles.images.services import cache_images
from articles.models import Image
from tests.images import samples

REPO = Path(__file__).resolve().parents[2]
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint):
    name = f"newsroom-media-{uuid.uuid4().hex[:8]}"
    client = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    client.create_bucket(Bucket=name)
    return client, name


def keys(client, bucket_name: str) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=bucket_name).get("Contents", [])}


@pytest.mark.django_db
def test_cached_images_are_written_to_the_bucket(server, bucket, s3_endpoint, settings, make_images):
    client, bucket_name = bucket
    # What settings.py builds when AWS_STORAGE_BUCKET_NAME is set (keys given here instead of the environment).
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket_name,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "querystring_auth": False,
                "file_overwrite": False,
            },
        },
    }
    url = server.serve("/photo.jpg", samples.photo((1600, 1000)))
    make_images([url], copies=2)

    report = cache_images()
    assert (report.fetched, report.failed) == (1, 0)
    image = Image.objects.first()
    folder = image.file.name.rsplit("/", 1)[0]
    assert keys(client, bucket_name) == {
        f"{folder}/original.jpg",
        f"{folder}/card-1200.webp",
        f"{folder}/thumb-400.webp",
        f"images/urls/{image.url_hash[:2]}/{image.url_hash}.json",
    }
    card = client.get_object(Bucket=bucket_name, Key=f"{folder}/card-1200.webp")
    assert card["ContentType"] == "image/webp"
    body = card["Body"].read()
    assert b"SecretCam" not in body and b"secret" not in body
    assert PILImage.open(BytesIO(body)).size == (1200, 750)
    assert image.display_url("card") == f"{s3_endpoint}/{bucket_name}/{folder}/card-1200.webp"
    assert image.display_size("card") == (1200, 750)

    # A re-import recreates the rows: the ledger in the bucket finds the copy, nothing is downloaded.
    Image.objects.all().delete()
    make_images([url])
    report = cache_images()
    assert (report.fetched, report.reused) == (0, 1)
    assert server.hits["/photo.jpg"] == 1
    assert Image.objects.get().renditions == image.renditions


@pytest.mark.django_db(transaction=True)
def test_the_environment_switches_media_to_s3(server, bucket, s3_endpoint, make_images):
    """`cache_images` in a fresh process, configured only through AWS_* variables, as in production."""
    if connection.vendor != "postgresql":
        pytest.skip("a second process cannot see an in-memory SQLite test database")
    client, bucket_name = bucket
    url = server.serve("/logo.png", samples.logo_png(), "image/png")
    make_images([url])
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "AWS_STORAGE_BUCKET_NAME": bucket_name,
        "AWS_S3_ENDPOINT_URL": s3_endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "IMAGE_FETCH_ALLOWED_HOSTS": server.allowed,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "cache_images", "--workers", "2"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 fetched, 0 reused, 0 failed" in result.stdout, (result.stdout, result.stderr)
    image = Image.objects.get()
    assert image.status == Image.Status.CACHED
    assert {image.file.name, *(r["name"] for r in image.renditions.values())} <= keys(client, bucket_name)
