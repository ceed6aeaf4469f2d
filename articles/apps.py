from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles"

    def ready(self):
        # Connects the signals that invalidate cached public pages, in every process (web, commands, shell).
        from articles import cache  # noqa: F401
