"""The editors' desk: when an editor approved an article, partial indexes for the review queue (only rows that
need review), scheduled and approved articles and recent import runs; upstream changes of reviewed articles and
review-mode decisions (with what undo puts back)."""


import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('articles', '0008_stories'),
        ('providers', '0002_merged_domains'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ReviewDecision',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('action', models.CharField(choices=[('publish', 'Published'), ('reject', 'Rejected'), ('quality', 'Rated')], max_length=10)),
                ('quality', models.IntegerField(blank=True, null=True)),
                ('decided_at', models.DateTimeField()),
                ('states', models.JSONField(help_text='Per article: its id and editorial fields before and after the decision.')),
                ('undone_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'ordering': ['-decided_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='UpstreamChange',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('imported_at', models.DateTimeField(help_text="When the import wrote the change (the article's last_imported_at).")),
                ('changes', models.JSONField(help_text='Field name -> [old value, new value], as text.')),
            ],
            options={
                'ordering': ['-imported_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='article',
            name='approved_at',
            field=models.DateTimeField(blank=True, help_text='When an editor last approved it for readers (published or scheduled).', null=True),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('reviewed_at__isnull', True), ('last_imported_at__gt', models.F('reviewed_at')), _connector='OR'), fields=['-published_at', '-id'], name='article_review_latest'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('reviewed_at__isnull', True), ('last_imported_at__gt', models.F('reviewed_at')), _connector='OR'), fields=['story'], name='article_review_story'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('reviewed_at__isnull', True), ('last_imported_at__gt', models.F('reviewed_at')), _connector='OR'), fields=['last_imported_at'], name='article_review_waiting'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('publish_at__isnull', False)), fields=['publish_at'], name='article_scheduled'),
        ),
        migrations.AddIndex(
            model_name='article',
            index=models.Index(condition=models.Q(('approved_at__isnull', False)), fields=['approved_at'], name='article_approved'),
        ),
        migrations.AddIndex(
            model_name='importrun',
            index=models.Index(fields=['-started_at'], name='import_run_started'),
        ),
        migrations.AddField(
            model_name='reviewdecision',
            name='decided_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='reviewdecision',
            name='story',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='articles.story'),
        ),
        migrations.AddField(
            model_name='reviewdecision',
            name='undone_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='upstreamchange',
            name='article',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='upstream_changes', to='articles.article'),
        ),
        migrations.AddIndex(
            model_name='reviewdecision',
            index=models.Index(fields=['decided_by', '-decided_at'], name='review_decision_by'),
        ),
        migrations.AddIndex(
            model_name='upstreamchange',
            index=models.Index(fields=['article', '-imported_at'], name='upstream_change_article'),
        ),
        migrations.AddIndex(
            model_name='upstreamchange',
            index=models.Index(fields=['-imported_at'], name='upstream_change_latest'),
        ),
    ]
