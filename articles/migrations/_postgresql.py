"""SQL written for each database (indexes, statistics, extensions SQLite has no use for; triggers in two dialects),
as a migration operation.

The name starts with an underscore, so Django's migration loader does not take this module for a migration.
"""

from django.db import migrations

Statements = tuple[list[str], list[str]]  # forward, backward


def by_vendor(*, postgresql: Statements, sqlite: Statements = ([], [])) -> migrations.RunPython:
    def run(direction: int):
        def apply(apps, schema_editor):
            statements = postgresql if schema_editor.connection.vendor == "postgresql" else sqlite
            for statement in statements[direction]:
                schema_editor.execute(statement)

        return apply

    return migrations.RunPython(run(0), run(1), elidable=False)


def postgresql_only(forward: str, backward: str) -> migrations.RunPython:
    return by_vendor(postgresql=([forward], [backward]))
