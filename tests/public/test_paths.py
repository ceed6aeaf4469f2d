"""articles.paths: an article's path as reverse() gives it, without reverse()'s cost."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix

from articles.paths import article_path


@pytest.mark.parametrize("prefix", ["/", "/news room/", "/n/SLUG/"])
def test_the_path_is_reverses_for_every_slug_and_script_prefix(prefix):
    try:
        set_script_prefix(prefix)
        for slug in ("story-1", "A_b-9", "SLUG", "slug", "x"):
            assert article_path(slug) == reverse("articles:detail", kwargs={"slug": slug})
        assert article_path("story-1").startswith(reverse("articles:home"))
    finally:
        set_script_prefix("/")


@pytest.mark.parametrize("slug", ["", "a b", "a/b", "é", "a?b", "../x", "javascript:alert(1)"])
def test_a_slug_the_pattern_refuses_is_refused_as_reverse_refuses_it(slug):
    with pytest.raises(NoReverseMatch):
        article_path(slug)
