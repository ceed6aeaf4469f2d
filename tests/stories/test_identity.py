"""URL identity (articles.stories.identity): tracking parameters go, nothing else changes."""

import pytest

from articles.stories.identity import identity_hash, web_identity


@pytest.mark.parametrize(
    ("url", "identity"),
    [
        ("https://a.example/x?utm_source=tw&utm_medium=social", "https://a.example/x"),
        ("https://a.example/x?id=3&utm_campaign=y&page=2", "https://a.example/x?id=3&page=2"),
        ("https://a.example/x?UTM_Source=tw&id=3#comments", "https://a.example/x?id=3#comments"),
        ("https://a.example/x?fbclid=AbC&gclid=1&dclid=2&msclkid=3&yclid=4", "https://a.example/x"),
        ("https://a.example/x?mc_cid=1&mc_eid=2&igshid=3&_ga=4&q=ai", "https://a.example/x?q=ai"),
        ("https://a.example/x?a=1&amp;utm_source=feed", "https://a.example/x?a=1"),
        ("https://medium.com/@someone/why-ai-1a2b3c4d5e6f?source=rss----5517fd7b58a6---4",
         "https://medium.com/@someone/why-ai-1a2b3c4d5e6f"),
        ("https://towardsai.medium.com/a-post-0123456789ab?source=collection_home", "https://towardsai.medium.com/a-post-0123456789ab"),
        # A publication on its own domain, recognised by Medium's post id.
        ("https://towardsdatascience.com/a-post-0123456789ab?source=post_page-----x&x=1",
         "https://towardsdatascience.com/a-post-0123456789ab?x=1"),
    ],
)  # fmt: skip
def test_trackers_are_dropped(url, identity):
    assert web_identity(url) == identity
    assert identity_hash(url) == identity_hash(identity)


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example/x",
        "https://a.example/x?",  # an empty query is part of what the outlet published
        "https://a.example/x?id=3&page=2",
        "https://a.example/x?b=2&a=1",  # order kept: no sorting
        "https://a.example/x?q=caf%C3%A9&s=a+b",  # encoding kept
        "https://a.example/search?source=rss",  # `source` means something outside Medium
        "https://a.example/x?utm=1&notutm_source=2&gclid_x=3",  # only exact names and the utm_ prefix
        "https://a.example/x#utm_source=tw",  # a fragment is not a query
    ],
)
def test_everything_else_is_kept(url):
    assert web_identity(url) == url


def test_a_repost_with_a_tracker_has_the_identity_of_the_original():
    assert identity_hash("https://news.example/story?utm_source=newsletter") == identity_hash(
        "https://news.example/story"
    )
    assert identity_hash("https://news.example/story?id=1") != identity_hash("https://news.example/story?id=2")
