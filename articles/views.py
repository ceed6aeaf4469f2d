"""Public pages. Each view picks a queryset (always from Article.objects.public()), a filter and a template."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from articles.cache import cache_public_page
from articles.filters import PERIOD_CHOICES, QUERY_PARAMETERS, ReaderFilter, unfiltered_values
from articles.search import mark_matches, search_articles, search_parameter, search_terms
from articles.selectors import (
    card_page_or_404,
    for_article_page,
    in_topics,
    latest_first,
    link_local_coverage,
    page_parameter,
    public_articles,
    top_page_or_404,
    topic_index,
)

# The query parameters each cached page reads (articles.cache keys pages by these and nothing else).
LIST_PARAMETERS = {**dict.fromkeys(QUERY_PARAMETERS), "page": page_parameter}
SEARCH_PARAMETERS = {"q": search_parameter, "page": page_parameter}


def filtered_list(request, stories, topics):
    """The shared part of every story list: the reader's filters and one page of cards, newest first.

    `topics` is the page's TopicIndex: card topics, the header's topic navigation and the filter menus.
    """
    # Without a filter parameter (the plain home page, its later pages) there is no form to build or validate.
    if any(name in request.GET for name in QUERY_PARAMETERS):
        filterset = ReaderFilter(request.GET, queryset=stories, topics=topics)
        stories, values = filterset.qs, filterset.values
        # A bookmarked topic or outlet without public stories any more stays chosen in the menus.
        if values["topic"] and values["topic"] not in {slug for slug, _ in topics.choices}:
            values["unlisted_topic"] = values["topic"]
        if values["provider"] and values["provider"] not in {outlet.domain for outlet in topics.outlets}:
            values["unlisted_provider"] = values["provider"]
    else:
        values = unfiltered_values()
    page = card_page_or_404(latest_first(stories), request.GET.get("page"), topics)
    return {"filter_values": values, "page": page, "topics": topics, "periods": PERIOD_CHOICES}


@cache_public_page(params=LIST_PARAMETERS)
def home(request):
    context = filtered_list(request, public_articles(), topic_index(outlets=True))
    return render(request, "articles/home.html", {**context, "section": "latest"})


@cache_public_page(params={"page": page_parameter})
def top_stories(request):
    topics = topic_index()
    page = top_page_or_404(public_articles(), request.GET.get("page"), topics)
    return render(request, "articles/top.html", {"page": page, "section": "top", "topics": topics})


@cache_public_page
def article_detail(request, slug):
    article = get_object_or_404(for_article_page(public_articles()), slug=slug)
    coverage = list(article.related_links.all())
    link_local_coverage(coverage)
    return render(request, "articles/detail.html", {"article": article, "coverage": coverage})


@cache_public_page(params=LIST_PARAMETERS)
def topic_detail(request, slug):
    topics = topic_index(outlets=True)
    topic = topics.by_slug.get(slug)
    if topic is None:
        raise Http404("No such topic.")
    stories = in_topics(public_articles(), topics.descendant_ids(topic))
    context = filtered_list(request, stories, topics)
    # A topic is a public page once a public story is filed under it (or under a sub-topic).
    if not context["page"].object_list and not stories.exists():
        raise Http404("No public stories in this topic.")
    context.update(topic=topic, ancestors=topics.ancestors(topic), subtopics=topics.children.get(topic.id, []))
    return render(request, "articles/topic.html", context)


@cache_public_page(params=SEARCH_PARAMETERS)
def search(request):
    q = search_terms(request.GET.get("q"))
    topics, page = topic_index(), None
    if q:
        matches = search_articles(public_articles(), q)
        page = card_page_or_404(matches, request.GET.get("page"), topics, "title_snippet", "excerpt_snippet")
        mark_matches(page.object_list, q)
    return render(request, "articles/search.html", {"q": q, "page": page, "topics": topics})


@cache_public_page
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /api/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
