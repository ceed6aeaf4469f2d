from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Count, Prefetch
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render

from articles.models import Article, Image, RelatedLink

PAGE_SIZE = 20


def _cards(queryset):
    return (
        queryset.select_related("provider")
        .prefetch_related("topics", Prefetch("images", queryset=Image.objects.order_by("position", "id")))
        .annotate(source_count=Count("related_links", distinct=True))
        .order_by("-published_at", "-id")
    )


def home(request):
    page = Paginator(_cards(Article.objects.public()), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "articles/home.html", {"page": page})


def article_detail(request, slug):
    article = get_object_or_404(
        Article.objects.public()
        .select_related("provider")
        .prefetch_related(
            "topics",
            "images",
            Prefetch(
                "related_links",
                queryset=RelatedLink.objects.select_related("provider").order_by("-quality", "position"),
            ),
        ),
        slug=slug,
    )
    return render(request, "articles/detail.html", {"article": article})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
