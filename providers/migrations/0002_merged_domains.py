from django.db import migrations, models


class Migration(migrations.Migration):
    # Merges used to note the domains in `extra`, which imports also fill from item files, so that note is
    # not trusted as an alias list and is left where it is; merges from now on are recorded here.
    dependencies = [("providers", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="provider",
            name="merged_domains",
            field=models.JSONField(
                blank=True,
                default=list,
                editable=False,
                help_text="Domains merged into this one: imports file them here.",
            ),
        ),
    ]
