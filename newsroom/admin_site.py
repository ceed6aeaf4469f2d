"""The admin site: Django's, with the editors' desk as the front page for everyone who works on articles.

Its `index` is the dashboard (articles/admin/dashboard.py) for staff who may see articles (editors, importers,
superusers); other staff, and everyone at `apps/`, get Django's list of apps and models. Set as the default
site by `newsroom.apps.AdminConfig`, so `admin.site` is this site for every app's registrations.
"""

from django.contrib import admin
from django.urls import path


class NewsroomAdminSite(admin.AdminSite):
    site_header = "Newsroom editorial"
    site_title = "Newsroom admin"
    index_title = "Editorial desk"

    def get_urls(self):
        return [path("apps/", self.admin_view(self.app_list), name="apps"), *super().get_urls()]

    def index(self, request, extra_context=None):
        if request.user.has_perm("articles.view_article"):
            # Imported here: the admin modules register on this site, which must exist before they load.
            from articles.admin.dashboard import dashboard

            return dashboard(self, request)
        return self.app_list(request, extra_context)

    def app_list(self, request, extra_context=None):
        """Django's own front page: every app and model this user may see."""
        return super().index(request, {"title": "Apps and models", **(extra_context or {})})
