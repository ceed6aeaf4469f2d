"""Article.topics gets an explicit through model, ArticleTopic, that records where each link came from.

The table and its rows stay: the plain many-to-many table becomes the model's table (state only), then gains
`source` and `term`. Existing links came from item files, except on articles whose topics an editor locked:
those are the editor's.
"""

from itertools import batched

import django.db.models.deletion
from django.db import migrations, models


def editors_own_locked_topics(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    ArticleTopic = apps.get_model("articles", "ArticleTopic")
    # Read in Python: SQLite has no JSON containment lookup.
    rows = Article.objects.values_list("id", "editor_locked").iterator(chunk_size=5000)
    locked = [pk for pk, fields in rows if "topics" in (fields or [])]
    for chunk in batched(locked, 1000):
        ArticleTopic.objects.filter(article_id__in=chunk).update(source="editor")


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0005_lean_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The model exactly as Django had created the table for the plain field.
            state_operations=[
                migrations.CreateModel(
                    name="ArticleTopic",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "article",
                            models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="articles.article"),
                        ),
                        ("topic", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="articles.topic")),
                    ],
                    options={"db_table": "articles_article_topics", "unique_together": {("article", "topic")}},
                ),
                migrations.AlterField(
                    model_name="article",
                    name="topics",
                    field=models.ManyToManyField(
                        blank=True, related_name="articles", through="articles.ArticleTopic", to="articles.topic"
                    ),
                ),
            ],
            database_operations=[],
        ),
        migrations.AddField(
            model_name="articletopic",
            name="source",
            field=models.CharField(
                choices=[("file", "from the file"), ("auto", "automatic"), ("editor", "editor")],
                default="file",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="articletopic",
            name="term",
            field=models.CharField(blank=True, help_text="The matched term, for automatic topics.", max_length=100),
        ),
        migrations.RunPython(editors_own_locked_topics, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="articletopic",
            name="source",
            field=models.CharField(
                choices=[("file", "from the file"), ("auto", "automatic"), ("editor", "editor")],
                default="editor",
                max_length=10,
            ),
        ),
        migrations.AlterField(
            model_name="articletopic",
            name="article",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="topic_links",
                to="articles.article",
            ),
        ),
        migrations.AlterField(
            model_name="articletopic",
            name="topic",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="article_links", to="articles.topic"
            ),
        ),
        migrations.AddConstraint(
            model_name="articletopic",
            constraint=models.UniqueConstraint(fields=("article", "topic"), name="article_topic_unique"),
        ),
        migrations.AlterUniqueTogether(name="articletopic", unique_together=set()),
    ]
