from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        # Connects the signals that invalidate cached public pages, in every process (web, commands, shell).
        from articles import cache  # noqa: F401
        from newsroom.cache_backends import create_cache_tables

        post_migrate.connect(create_cache_tables, sender=self)
