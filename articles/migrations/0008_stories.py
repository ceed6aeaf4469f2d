"""Stories: every existing article starts as a story of one (run `manage.py cluster_stories` to group them).

Editors get the story permissions (view, change: merge, pin).
"""

import django.db.models.deletion
import django.utils.timezone
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
from django.utils import timezone

EDITOR_PERMISSIONS = ["view_story", "change_story"]


def singletons(apps, schema_editor):
    # One story per article, numbered like it: two statements, whatever the size of the table.
    connection = schema_editor.connection
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO articles_story (id, lead_id, lead_pinned, curated, size, first_published_at, last_published_at,"
            " created_at, updated_at) SELECT id, id, %s, %s, 1, published_at, published_at, %s, %s FROM articles_article",
            [False, False, now, now],
        )
        cursor.execute("UPDATE articles_article SET story_id = id")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('articles_story', 'id'),"
                " GREATEST((SELECT MAX(id) FROM articles_story), 1))"
            )


def grant_editors(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name="Editors")
    editors.permissions.add(
        *Permission.objects.filter(content_type__app_label="articles", codename__in=EDITOR_PERMISSIONS)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_identity_without_trackers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="Story",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("lead_pinned", models.BooleanField(default=False, help_text="An editor chose the lead: clustering keeps it.")),
                ("pinned_at", models.DateTimeField(blank=True, help_text="An editor pinned the story to the top of the top-stories page.", null=True)),
                ("curated", models.BooleanField(default=False, help_text="An editor split, merged or pinned here: clustering may add new articles, never merge it away.")),
                ("size", models.PositiveIntegerField(default=1, help_text="Number of articles (published or not).")),
                ("first_published_at", models.DateTimeField(blank=True, null=True)),
                ("last_published_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ("lead", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to="articles.article")),
            ],
            options={"verbose_name_plural": "stories", "ordering": ["-last_published_at", "-id"]},
        ),
        migrations.CreateModel(
            name="StoryTerm",
            fields=[
                ("term", models.BigIntegerField(primary_key=True, serialize=False)),
                ("articles", models.PositiveIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="StoryKey",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.BigIntegerField()),
                ("position", models.PositiveSmallIntegerField()),
                ("published_at", models.DateTimeField()),
                ("article", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="articles.article")),
            ],
        ),
        migrations.AddField(
            model_name="article",
            name="story",
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="articles", to="articles.story"),
        ),
        migrations.RunPython(singletons, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="article",
            name="story",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="articles", to="articles.story"),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(fields=["story", "published_at"], name="article_story_published"),
        ),
        migrations.AddIndex(
            model_name="story",
            index=models.Index(condition=models.Q(("pinned_at__isnull", False)), fields=["pinned_at"], name="story_pinned"),
        ),
        migrations.AddIndex(
            model_name="storykey",
            index=models.Index(fields=["key", "published_at"], name="story_key_lookup"),
        ),
        migrations.RunPython(grant_editors, migrations.RunPython.noop),
    ]
