"""Roles: Editors curate (no deletes, no users, no imports); Importers run imports and read their results."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    ("articles", "view_article"),
    ("articles", "change_article"),
    ("articles", "publish_article"),
    ("articles", "view_relatedlink"),
    ("articles", "change_relatedlink"),
    ("articles", "view_image"),
    ("articles", "change_image"),
    ("articles", "view_topic"),
    ("articles", "change_topic"),
    ("articles", "add_topic"),
    ("providers", "view_provider"),
    ("providers", "change_provider"),
]
IMPORTER_PERMISSIONS = [
    ("articles", "run_import"),
    ("articles", "view_importrun"),
    ("articles", "view_article"),
    ("articles", "view_topic"),
    ("articles", "add_topic"),
    ("articles", "change_topic"),
    ("providers", "view_provider"),
    ("providers", "add_provider"),
    ("providers", "change_provider"),
]
ROLES = {"Editors": EDITOR_PERMISSIONS, "Importers": IMPORTER_PERMISSIONS}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0003_search_vector"),
        ("providers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
