"""The editorial admin: one module per admin, registered on import (Django's autodiscover imports this)."""

from django.contrib import admin

from articles.admin import article, import_run, media, story, topic  # noqa: F401

admin.site.site_header = "Newsroom editorial"
admin.site.site_title = "Newsroom admin"
admin.site.index_title = "Editorial desk"
