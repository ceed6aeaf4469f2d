from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from articles import views
from articles.cache import cache_public_page
from articles.selectors import page_parameter
from articles.sitemaps import SITEMAPS
from newsroom.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("articles.api.urls")),
    path("providers/", include("providers.urls")),
    path(
        "sitemap.xml",
        cache_public_page(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cache_public_page(sitemap_views.sitemap, params={"p": page_parameter}),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("robots.txt", views.robots_txt, name="robots"),
    path("healthz", healthz, name="healthz"),
    path("", include("articles.urls")),
]
handler400 = "newsroom.errors.bad_request"

# Local media (cached images) in development only; production serves them from S3 or the web server.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
# A database that cannot be reached answers 503 with Retry-After, even when the failure happens outside a view.
handler500 = "newsroom.errors.server_error"
