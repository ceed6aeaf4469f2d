"""A provider's page: the stories it reported, newest first, with the same filters as the home page."""

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from articles.cache import cache_public_page
from articles.ingest.fields import Invalid
from articles.ingest.fields import domain as normalise_domain
from articles.selectors import providers_with_logos, public_articles, topic_index
from articles.views import LIST_PARAMETERS, river


@cache_public_page(params=LIST_PARAMETERS)
def provider_detail(request, domain):
    # The importer's own rule for domains: what it could not have stored has no page.
    try:
        canonical = normalise_domain(domain)
    except Invalid:
        raise Http404("No such provider.") from None
    if canonical != domain:
        return redirect("providers:detail", domain=canonical, permanent=True)
    provider = get_object_or_404(providers_with_logos(), domain=domain)

    def from_outlet(queryset):
        return queryset.filter(provider=provider)

    # The outlet's own article leads each of its stories, with the other outlets' coverage under it.
    context = river(request, from_outlet, topic_index(), outlet=True)
    # Outlets come from imported items: one with no public story yet has no public page.
    if not context["page"].object_list and not from_outlet(public_articles()).exists():
        raise Http404("No public stories from this provider.")
    context["provider"] = provider
    return render(request, "providers/detail.html", context)
