"""Article identities drop tracking parameters; related links get the identity hash of their URL.

Two existing rows whose URLs differ only by trackers now share one identity. The importer's winner stays
(newest publishedDateTime, then the later source path); the other row is deleted, and its editor decisions
(published/schedule, quality, topics, review) are carried over where the winner has none of its own.
"""

from django.db import migrations, models

from articles.stories.identity import identity_hash

BATCH = 2000
CARRIED = {"published": ("published", "publish_at"), "quality": ("quality",)}


def _rank(row):
    return (row.published_at, row.source_path)


def _merge_into(winner, loser, Article):
    locked = set(winner.editor_locked or [])
    for field in loser.editor_locked or []:
        if field in locked:
            continue
        if field in CARRIED:
            for name in CARRIED[field]:
                setattr(winner, name, getattr(loser, name))
        elif field == "topics":
            winner.topics.set(loser.topics.all())
        locked.add(field)
    if winner.reviewed_at is None and loser.reviewed_at is not None:
        winner.reviewed_by_id, winner.reviewed_at = loser.reviewed_by_id, loser.reviewed_at
    winner.editor_locked = sorted(locked)
    winner.save()
    loser.delete()


def recompute_identities(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    last = 0
    while True:
        # Only a URL with a query string can carry trackers.
        rows = list(Article.objects.filter(id__gt=last, web_url__contains="?").order_by("id")[:BATCH])
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            new = identity_hash(row.web_url)
            if new == row.web_url_hash:
                continue
            other = Article.objects.filter(web_url_hash=new).exclude(pk=row.pk).first()
            if other is None:
                Article.objects.filter(pk=row.pk).update(web_url_hash=new)
            elif _rank(row) > _rank(other):
                _merge_into(row, other, Article)
                Article.objects.filter(pk=row.pk).update(web_url_hash=new)
            else:
                _merge_into(other, row, Article)


def hash_related_links(apps, schema_editor):
    RelatedLink = apps.get_model("articles", "RelatedLink")
    if schema_editor.connection.vendor == "postgresql":
        # Without a query string the identity is the URL itself: hash those in the database (most rows).
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "UPDATE articles_relatedlink SET url_hash = encode(sha256(convert_to(web_url, 'UTF8')), 'hex')"
                " WHERE strpos(web_url, '?') = 0"
            )
    last = 0
    while True:
        rows = list(RelatedLink.objects.filter(id__gt=last, url_hash="").order_by("id").only("id", "web_url")[:BATCH])
        if not rows:
            break
        last = rows[-1].id
        for row in rows:
            row.url_hash = identity_hash(row.web_url)
        RelatedLink.objects.bulk_update(rows, ["url_hash"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0006_article_topic_provenance")]

    operations = [
        migrations.AddField(
            model_name="relatedlink",
            name="url_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(recompute_identities, migrations.RunPython.noop),
        migrations.RunPython(hash_related_links, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="relatedlink",
            index=models.Index(fields=["url_hash"], name="related_link_url_hash"),
        ),
    ]
