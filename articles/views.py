"""Public pages. Each view picks what it lists (always from Article.objects.public()), a filter and a template."""

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from articles.cache import cache_public_page
from articles.filters import PERIOD_CHOICES, QUERY_PARAMETERS, ReaderFilter, unfiltered_values
from articles.search import mark_matches, search_articles, search_parameter, search_terms, window_end
from articles.selectors import (
    TopicIndex,
    card_page_or_404,
    for_article_page,
    page_parameter,
    public_articles,
    topic_index,
)
from articles.stories.coverage import story_entries
from articles.stories.cursor import cursor_parameter
from articles.stories.river import Matching, cursor_or_400, everything, in_topics, river_page
from articles.stories.top import top_page_or_404

# The query parameters each cached page reads (articles.cache keys pages by these and nothing else).
LIST_PARAMETERS = {**dict.fromkeys(QUERY_PARAMETERS), "before": cursor_parameter}
SEARCH_PARAMETERS = {"q": search_parameter, "page": page_parameter}


def river(request, base: Matching, topics: TopicIndex, *, outlet: bool = False) -> dict:
    """The shared part of every story list: the reader's filters and one page of the river.

    `base` is what the page itself asks of articles (a topic, an outlet); `topics` is the page's TopicIndex: card
    topics, the header's topic navigation and the filter menus. On an outlet's page, or filtered by outlet, the
    outlet's own article leads each story.
    """
    matching = base
    # Without a filter parameter (the plain home page, its older pages) there is no form to build or validate.
    if any(name in request.GET for name in QUERY_PARAMETERS):
        filterset = ReaderFilter(request.GET, queryset=public_articles(), topics=topics)
        values = filterset.values  # validated: an invalid value is reported and ignored

        def matching(queryset):
            return filterset.filter_queryset(base(queryset))

        outlet = outlet or bool(filterset.form.cleaned_data.get("provider"))
        # A bookmarked topic or outlet without public stories any more stays chosen in the menus.
        if values["topic"] and values["topic"] not in {slug for slug, _ in topics.choices}:
            values["unlisted_topic"] = values["topic"]
        if values["provider"] and values["provider"] not in {entry.domain for entry in topics.outlets}:
            values["unlisted_provider"] = values["provider"]
    else:
        values = unfiltered_values()
    before = cursor_or_400(request.GET.get("before"))
    page = river_page(matching, topics=topics, before=before, outlet_leads=outlet)
    return {"filter_values": values, "page": page, "topics": topics, "periods": PERIOD_CHOICES}


@cache_public_page(params=LIST_PARAMETERS)
def home(request):
    context = river(request, everything, topic_index(outlets=True))
    return render(request, "articles/home.html", {**context, "section": "latest"})


@cache_public_page(params={"page": page_parameter})
def top_stories(request):
    topics = topic_index()
    page = top_page_or_404(request.GET.get("page"), topics=topics)
    return render(request, "articles/top.html", {"page": page, "section": "top", "topics": topics})


@cache_public_page
def article_detail(request, slug):
    article = get_object_or_404(for_article_page(public_articles(), related=False), slug=slug)
    topics = topic_index()
    entry = next(iter(story_entries([article.story_id], topics=topics, images=True)), None)
    context = {
        "article": article,
        "topics": topics,
        "story": entry,
        "coverage": entry.around(article.pk) if entry else [],
        "leads": entry is not None and entry.lead.id == article.pk,
    }
    return render(request, "articles/detail.html", context)


@cache_public_page(params=LIST_PARAMETERS)
def topic_detail(request, slug):
    topics = topic_index(outlets=True)
    topic = topics.by_slug.get(slug)
    if topic is None:
        raise Http404("No such topic.")
    in_topic = in_topics(topics.descendant_ids(topic))
    context = river(request, in_topic, topics)
    # A topic is a public page once a public story is filed under it (or under a sub-topic).
    if not context["page"].object_list and not in_topic(public_articles()).exists():
        raise Http404("No public stories in this topic.")
    context.update(topic=topic, ancestors=topics.ancestors(topic), subtopics=topics.children.get(topic.id, []))
    return render(request, "articles/topic.html", context)


@cache_public_page(params=SEARCH_PARAMETERS)
def search(request):
    q = search_terms(request.GET.get("q"))
    topics, page, window = topic_index(), None, None
    if q:
        matches = search_articles(public_articles(), q)
        page = card_page_or_404(matches, request.GET.get("page"), topics, "title_snippet", "excerpt_snippet")
        mark_matches(page.object_list, q)
        window = window_end(page)
    context = {"q": q, "page": page, "topics": topics, "window_end": window}
    return render(request, "articles/search.html", context)


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
