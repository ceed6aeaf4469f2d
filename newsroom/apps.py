from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """django.contrib.admin with the newsroom's site (the editors' desk as its front page)."""

    default_site = "newsroom.admin_site.NewsroomAdminSite"
