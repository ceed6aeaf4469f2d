"""The editorial admin: one module per admin, registered on import (Django's autodiscover imports this)."""

from articles.admin import article, import_run, media, story, topic  # noqa: F401
