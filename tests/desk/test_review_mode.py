"""Review mode (articles/admin/review.py) over HTTP: plain forms with CSRF, each decision saved at once, the next
story after publish, reject and skip, the same story after a rating, undo of the last decision, and roles."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from articles.desk import decisions
from articles.desk.decisions import Action
from articles.models import Article, RelatedLink, ReviewDecision, UpstreamChange
from tests.admin.conftest import make_article, make_provider, make_user, messages_of
from tests.desk.conftest import together

pytestmark = pytest.mark.django_db
QUEUE = "/admin/articles/story/review/"


def review_url(story_or_id) -> str:
    return f"/admin/articles/story/{getattr(story_or_id, 'pk', story_or_id)}/review/"


@pytest.fixture
def newsroom(db):
    """Three stories waiting: the newest (two articles from two outlets), a middle one, the oldest."""
    harbor, ledger = make_provider("harbor.example", "Harbor Post"), make_provider("ledger.example", "Daily Ledger")
    lead = make_article("Harbor opens a robot ferry terminal", provider=harbor, quality=80, topics=("AI",), related=2,
                        age=timedelta(hours=1))  # fmt: skip
    repost = make_article("Robot ferry terminal opens", provider=ledger, quality=30, age=timedelta(hours=2))
    newest = together(lead, repost)
    middle = make_article("Council debates camera analytics", provider=ledger, age=timedelta(hours=5)).story
    oldest = make_article("Budget passes without debate", provider=harbor, age=timedelta(hours=9)).story
    return {"newest": newest, "middle": middle, "oldest": oldest, "lead": lead, "repost": repost}


def test_the_queue_opens_on_its_newest_story(editor_client, newsroom):
    response = editor_client.get(QUEUE)
    assert response.status_code == 302 and response["Location"] == review_url(newsroom["newest"])


def test_a_story_page_shows_lead_coverage_images_topics_and_the_keys(editor_client, newsroom):
    lead, repost = newsroom["lead"], newsroom["repost"]
    page = editor_client.get(review_url(newsroom["newest"])).text

    assert page.index(lead.title) < page.index(repost.title)  # the lead first
    assert "Harbor Post" in page and "Daily Ledger" in page
    assert 'AI <span class="quiet">(added by an editor)</span>' in page  # make_article's topics are an editor's
    for link in RelatedLink.objects.filter(article=lead):
        assert link.title in page
    assert lead.images.get().url in page
    for key, value in (("p", "publish"), ("r", "reject"), ("s", "skip"), ("7", "quality:70"), ("0", "quality:100")):
        assert f'value="{value}" data-key="{key}" aria-keyshortcuts="{key}"' in page
    assert f'href="{review_url(newsroom["middle"])}" rel="next" data-key="j"' in page
    assert "Keyboard shortcuts" in page and 'data-key="?"' in page
    assert page.count('name="articles"') == 2 and page.count(" checked>") == 2


def test_publish_saves_at_once_and_moves_to_the_next_story(editor, newsroom):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    page = client.get(review_url(newsroom["newest"]))
    token = page.context["csrf_token"]
    ids = [newsroom["lead"].pk, newsroom["repost"].pk]

    refused = client.post(review_url(newsroom["newest"]), {"action": "publish", "articles": ids})
    assert refused.status_code == 403 and not Article.objects.public().exists()

    response = client.post(
        review_url(newsroom["newest"]), {"action": "publish", "articles": ids, "csrfmiddlewaretoken": str(token)}
    )

    assert response.status_code == 302 and response["Location"] == review_url(newsroom["middle"])
    assert set(Article.objects.public().values_list("pk", flat=True)) == set(ids)
    decision = ReviewDecision.objects.get()
    assert (decision.action, decision.decided_by, decision.story_id) == (Action.PUBLISH, editor, newsroom["newest"].pk)
    following = client.get(response["Location"])
    assert messages_of(following) == [f"Published 2 articles of story {newsroom['newest'].pk}."]
    assert "Your last decision:" in following.text and 'data-key="u"' in following.text


def test_only_the_ticked_articles_are_decided(editor_client, newsroom):
    editor_client.post(review_url(newsroom["newest"]), {"action": "reject", "articles": [newsroom["repost"].pk]})
    lead, repost = (Article.objects.get(pk=newsroom[k].pk) for k in ("lead", "repost"))
    assert lead.needs_review and lead.reviewed_at is None
    assert not repost.needs_review and "published" in repost.editor_locked
    # The story still waits for its lead; the rejected repost now starts unticked.
    page = editor_client.get(review_url(newsroom["newest"])).text
    assert f'value="{repost.pk}" id="decide-{repost.pk}">' in page
    assert f'value="{lead.pk}" id="decide-{lead.pk}" checked>' in page


def test_a_rating_stays_on_the_story(editor_client, newsroom):
    story = newsroom["newest"]
    ids = [newsroom["lead"].pk, newsroom["repost"].pk]
    response = editor_client.post(review_url(story), {"action": "quality:70", "articles": ids})
    assert response["Location"] == review_url(story)
    assert set(Article.objects.filter(pk__in=ids).values_list("quality", flat=True)) == {70}
    assert not Article.objects.public().exists()


def test_skip_moves_on_and_changes_nothing(editor_client, newsroom):
    before = list(Article.objects.order_by("pk").values())
    response = editor_client.post(review_url(newsroom["middle"]), {"action": "skip"})
    assert response["Location"] == review_url(newsroom["oldest"])
    assert list(Article.objects.order_by("pk").values()) == before and not ReviewDecision.objects.exists()


def test_the_last_story_leads_to_the_end_of_the_queue(editor_client, newsroom):
    for name in ("newest", "middle"):
        editor_client.post(review_url(newsroom[name]), {"action": "publish", "articles": _ids(newsroom[name])})
    response = editor_client.post(
        review_url(newsroom["oldest"]), {"action": "publish", "articles": _ids(newsroom["oldest"])}
    )
    assert response["Location"] == QUEUE
    done = editor_client.get(QUEUE)
    assert done.status_code == 200 and "No story needs review." in done.text


def _ids(story) -> list[int]:
    return list(story.articles.values_list("pk", flat=True))


def test_nothing_ticked_or_a_bad_value_decides_nothing(editor_client, newsroom):
    story = newsroom["newest"]
    response = editor_client.post(review_url(story), {"action": "publish"}, follow=True)
    assert messages_of(response) == ["Nothing decided: choose at least one article of this story."]
    response = editor_client.post(review_url(story), {"action": "quality:7000", "articles": _ids(story)}, follow=True)
    assert messages_of(response) == ["Choose a quality from the buttons."]
    response = editor_client.post(review_url(story), {"action": "delete", "articles": _ids(story)}, follow=True)
    assert messages_of(response) == ["Choose publish, reject, a quality or skip."]
    assert not ReviewDecision.objects.exists() and not Article.objects.public().exists()


def test_undo_of_the_last_decision(editor, editor_client, newsroom):
    story = newsroom["newest"]
    editor_client.post(review_url(story), {"action": "publish", "articles": _ids(story)})
    decision = ReviewDecision.objects.get()

    response = editor_client.post(f"/admin/articles/story/review/undo/{decision.pk}/", follow=True)

    assert response.redirect_chain[0][0] == review_url(story)
    assert messages_of(response)[-1] == f"Undid “Published” on 2 articles of story {story.pk}."
    assert not Article.objects.public().exists()
    assert all(a.needs_review for a in Article.objects.filter(story=story))
    assert "Your last decision:" not in response.text
    assert editor_client.get(f"/admin/articles/story/review/undo/{decision.pk}/").status_code == 405


def test_an_editor_cannot_undo_someone_elses_decision(editor_client, newsroom):
    other = make_user("otto", "Editors")
    story = newsroom["middle"]
    decision = decisions.decide(story=story, article_ids=_ids(story), action=Action.PUBLISH, by=other)
    assert editor_client.post(f"/admin/articles/story/review/undo/{decision.pk}/").status_code == 403
    assert Article.objects.public().count() == 1


def test_review_shows_what_changed_upstream_since_the_review(editor, editor_client, newsroom):
    lead = newsroom["lead"]
    now = timezone.now()
    Article.objects.filter(pk=lead.pk).update(reviewed_at=now - timedelta(hours=1), last_imported_at=now)
    UpstreamChange.objects.create(article=lead, imported_at=now, changes={"title": ["Old <b>title</b>", lead.title]})

    page = editor_client.get(review_url(newsroom["newest"])).text

    assert "Changed upstream since the last review" in page
    assert "<del>Old &lt;b&gt;title&lt;/b&gt;</del>" in page and f"<ins>{lead.title}</ins>" in page


def test_importers_may_look_but_not_decide(client, newsroom):
    client.force_login(make_user("ivan", "Importers"))
    story = newsroom["newest"]
    page = client.get(review_url(story))
    assert page.status_code == 200 and 'value="publish"' not in page.text and 'value="quality:70"' not in page.text
    assert client.post(review_url(story), {"action": "publish", "articles": _ids(story)}).status_code == 403
    assert client.post(review_url(story), {"action": "quality:50", "articles": _ids(story)}).status_code == 403
    assert not Article.objects.public().exists() and not ReviewDecision.objects.exists()


def test_staff_without_article_permissions_are_refused(client, newsroom):
    client.force_login(make_user("olga"))
    assert client.get(QUEUE).status_code == 403
    assert client.get(review_url(newsroom["newest"])).status_code == 403


def test_a_story_page_costs_the_same_queries_whatever_the_story_size(
    editor_client, newsroom, django_assert_max_num_queries
):
    story = newsroom["middle"]
    editor_client.get(review_url(story))  # warm: the queue figure is cached for a minute
    with django_assert_max_num_queries(20) as small:
        editor_client.get(review_url(story))
    together(*Article.objects.filter(story=story), *[make_article(f"More coverage {n}", related=2) for n in range(8)])
    with django_assert_max_num_queries(len(small.captured_queries)):
        editor_client.get(review_url(story))
