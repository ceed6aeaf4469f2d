"""The desk in the article admin: what changed upstream (list label, form table), the form's Story section and its
decisions, the list's story actions, and one date-and-time format everywhere."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from articles.models import Article, Story, UpstreamChange
from tests.admin.conftest import CHANGELIST, action, make_article, make_provider, make_user, messages_of
from tests.desk.conftest import together

pytestmark = pytest.mark.django_db


def change_url(article) -> str:
    return f"/admin/articles/article/{article.pk}/change/"


@pytest.fixture
def changed(db):
    """An article reviewed yesterday whose title and quality a re-import changed since."""
    article = make_article("The new title")
    now = timezone.now()
    Article.objects.filter(pk=article.pk).update(reviewed_at=now - timedelta(days=1), last_imported_at=now)
    UpstreamChange.objects.create(
        article=article, imported_at=now - timedelta(days=2), changes={"title": ["Older", "Reviewed"]}
    )  # before the review: not shown
    UpstreamChange.objects.create(
        article=article, imported_at=now, changes={"title": ["The old title", "The new title"], "quality": [40, 50]}
    )
    return article


def test_the_list_says_what_changed_upstream_with_old_and_new_on_hover(editor_client, changed):
    page = editor_client.get(CHANGELIST).text
    assert (
        '<span class="desk-changed" title="title: “The old title” → “The new title”\nquality (upstream): “40” → “50”">'
        "Changed upstream: title, quality (upstream)</span>"
    ) in page
    assert "Older" not in page


def test_the_list_reads_the_changes_of_a_page_in_one_query(editor_client, changed, django_assert_max_num_queries):
    editor_client.get(CHANGELIST)
    with django_assert_max_num_queries(30) as few:
        editor_client.get(CHANGELIST)
    for n in range(5):
        more = make_article(f"Changed {n}")
        Article.objects.filter(pk=more.pk).update(reviewed_at=timezone.now() - timedelta(hours=1))
        UpstreamChange.objects.create(article=more, imported_at=timezone.now(), changes={"heat": [1, 2]})
    with django_assert_max_num_queries(len(few.captured_queries)):
        editor_client.get(CHANGELIST)


def test_the_form_shows_field_old_and_new(editor_client, changed):
    page = editor_client.get(change_url(changed)).text
    assert "changed upstream since review" in page.lower()
    assert (
        "<tr><th scope='row'>title</th><td><del>The old title</del></td><td><ins>The new title</ins></td></tr>" in page
    )
    assert "<td><del>40</del></td><td><ins>50</ins></td>" in page


def test_one_date_and_time_format_in_the_list_and_the_form(editor_client):
    article = make_article("Dated")
    moment = datetime(2026, 11, 24, 14, 2, tzinfo=UTC)
    Article.objects.filter(pk=article.pk).update(published_at=moment, first_imported_at=moment)
    assert "24 Nov 2026, 14:02" in editor_client.get(CHANGELIST).text
    form = editor_client.get(change_url(article)).text
    assert "24 Nov 2026, 14:02" in form  # first imported (a read-only field) and the Story section
    assert "Nov. 24, 2026" not in form and "p.m." not in form


@pytest.fixture
def story(db):
    harbor, ledger = make_provider("harbor.example", "Harbor Post"), make_provider("ledger.example", "Daily Ledger")
    lead = make_article("Harbor opens a robot ferry terminal", provider=harbor, quality=80)
    second = make_article("Robot ferry terminal opens", provider=ledger, quality=30)
    third = make_article("Ferry: what the council says", provider=ledger, quality=20)
    together(lead, second, third)
    return lead, second, third


def test_the_form_lists_the_story_and_its_decisions(editor_client, story):
    lead, second, third = story
    page = editor_client.get(change_url(second)).text
    assert f"Story {lead.story_id}: 3 articles" in page
    assert lead.title in page and third.title in page
    assert f'action="/admin/articles/article/{second.pk}/story/split/"' in page
    assert f'<input type="hidden" name="member" value="{third.pk}">' in page
    assert f'action="/admin/articles/article/{second.pk}/story/merge/"' in page
    assert f'action="/admin/articles/article/{second.pk}/story/pin/"' in page
    # The Story section has forms of its own, after the article form has closed.
    assert page.index("</form>") < page.index('id="story"')


def test_split_lead_pin_and_merge_from_the_form(editor, editor_client, story):
    lead, second, third = story
    response = editor_client.post(f"/admin/articles/article/{second.pk}/story/lead/", {"member": third.pk}, follow=True)
    assert messages_of(response) == [f"“{third.title}” now leads story {lead.story_id}."]
    assert response.redirect_chain[-1][0] == change_url(second) + "#story"
    assert (Story.objects.get(pk=lead.story_id).lead_id, Story.objects.get(pk=lead.story_id).lead_pinned) == (
        third.pk, True,
    )  # fmt: skip

    editor_client.post(f"/admin/articles/article/{second.pk}/story/split/")
    second.refresh_from_db()
    assert second.story_id != lead.story_id and "story" in second.editor_locked
    assert LogEntry.objects.filter(user=editor, object_id=str(second.pk), change_message__startswith="Split").exists()

    editor_client.post(f"/admin/articles/article/{second.pk}/story/pin/")
    assert Story.objects.get(pk=second.story_id).pinned_at is not None
    editor_client.post(f"/admin/articles/article/{second.pk}/story/pin/", {"pinned": "0"})
    assert Story.objects.get(pk=second.story_id).pinned_at is None

    response = editor_client.post(
        f"/admin/articles/article/{second.pk}/story/merge/", {"article": str(lead.pk)}, follow=True
    )
    second.refresh_from_db()
    assert second.story_id == Article.objects.get(pk=lead.pk).story_id
    assert messages_of(response)[-1].startswith("Merged story ")


def test_merge_by_story_number_and_its_mistakes(editor_client, story):
    lead, _, _ = story
    other = make_article("Elsewhere")
    url = f"/admin/articles/article/{other.pk}/story/merge/"
    assert messages_of(editor_client.post(url, {}, follow=True)) == [
        "Nothing merged: Choose an article of the other story, or type its number."
    ]
    assert messages_of(editor_client.post(url, {"story": "999999"}, follow=True)) == [
        "Nothing merged: There is no story 999999."
    ]
    assert messages_of(editor_client.post(url, {"story": str(other.story_id)}, follow=True)) == [
        "Nothing merged: that article is already in this story."
    ]
    editor_client.post(url, {"story": str(lead.story_id)})
    assert Article.objects.get(pk=other.pk).story_id == Article.objects.get(pk=lead.pk).story_id


def test_story_decisions_need_the_change_permission(client, story):
    lead, second, _ = story
    client.force_login(make_user("ivan", "Importers"))
    assert client.post(f"/admin/articles/article/{second.pk}/story/split/").status_code == 403
    assert client.get(f"/admin/articles/article/{second.pk}/story/split/").status_code in (403, 405)
    assert Article.objects.get(pk=second.pk).story_id == lead.story_id
    assert "Split this article out" not in client.get(change_url(second)).text


def test_list_actions_merge_and_pin_the_stories_of_selected_articles(editor_client, story):
    lead, _, _ = story
    loner = make_article("A story of its own")
    response = action(editor_client, "merge_stories", [lead, loner])
    assert messages_of(response)[0].startswith("Merged their stories into story ")
    assert Article.objects.get(pk=loner.pk).story_id == Article.objects.get(pk=lead.pk).story_id
    action(editor_client, "pin_stories", [loner])
    assert Story.objects.get(pk=Article.objects.get(pk=loner.pk).story_id).pinned_at is not None
    action(editor_client, "unpin_stories", [loner])
    assert Story.objects.get(pk=Article.objects.get(pk=loner.pk).story_id).pinned_at is None
