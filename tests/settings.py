"""The suite's settings: production's (newsroom/settings.py), except the cache when no Redis is given.

`make test` runs under scripts/with-redis, so the suite's caches are the real Redis of production. A subset
run without REDIS_URL (`scripts/with-postgres pytest tests/public`) gets local memory rather than
production's database cache, whose every read is a query that tests counting queries would see. The
database cache has tests of its own (tests/infra/test_cache_backends.py).
"""

from newsroom.settings import *  # noqa: F403
from newsroom.settings import CACHE_URL, LOCAL_MEMORY_CACHES, env_bool

if not CACHE_URL:
    CACHES = {**LOCAL_MEMORY_CACHES}
    if not env_bool("PUBLIC_CACHE", True):
        CACHES["public"] = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
