import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django_application = get_wsgi_application()

from newsroom.wsgi_hits import CachedPageHits  # noqa: E402 - needs the apps loaded by get_wsgi_application()

# Repeated anonymous hits of the public page cache are answered in front of Django's handler (newsroom/wsgi_hits.py).
application = CachedPageHits(django_application)
