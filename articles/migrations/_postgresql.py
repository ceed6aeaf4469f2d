"""SQL that only PostgreSQL runs (indexes, statistics, extensions SQLite has no use for), as a migration operation.

The name starts with an underscore, so Django's migration loader does not take this module for a migration.
"""

from django.db import migrations


def postgresql_only(forward: str, backward: str) -> migrations.RunPython:
    def run(sql: str):
        def apply(apps, schema_editor):
            if schema_editor.connection.vendor == "postgresql":
                schema_editor.execute(sql)

        return apply

    return migrations.RunPython(run(forward), run(backward), elidable=False)
