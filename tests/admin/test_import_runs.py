"""Every `import_articles` run is recorded and browsable, read-only, by staff."""

import pytest
from django.core.management import call_command

from articles.models import ImportRun
from tests.factories import item_data, write_items

pytestmark = pytest.mark.django_db
RUNS = "/admin/articles/importrun/"


@pytest.fixture
def run(tmp_path):
    write_items(tmp_path, {"good.md": item_data(1), "bad.md": {"title": "No URL"}})
    with pytest.raises(SystemExit):
        call_command("import_articles", str(tmp_path), "--jobs", "1", "--trust-published", verbosity=0)
    return ImportRun.objects.get()


def test_a_run_is_listed_with_its_counts(client, importer, run):
    client.force_login(importer)
    response = client.get(RUNS)
    assert [r.pk for r in response.context["cl"].result_list] == [run.pk]
    html = response.content.decode()
    assert "command (" in html and "Finished" in html


def test_a_run_shows_counts_and_per_file_errors_and_importers_its_options(client, editor, importer, run):
    client.force_login(editor)  # staff who review articles may read how imports went
    response = client.get(f"{RUNS}{run.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "created: 1" in html and "failed: 1" in html
    assert "bad.md" in html and "webUrl" in html
    assert not response.context["has_change_permission"]
    # The command's options and the server's paths are import internals: importers see them, editors do not.
    assert "--trust-published" not in html and "Paths" not in html
    client.force_login(importer)
    html = client.get(f"{RUNS}{run.pk}/change/").content.decode()
    assert "--trust-published" in html and "Paths" in html


def test_runs_are_read_only(client, boss, run):
    client.force_login(boss)
    assert client.get(f"{RUNS}add/").status_code == 403
    assert client.post(f"{RUNS}{run.pk}/change/", {"started_by": "forged"}).status_code == 403
    run.refresh_from_db()
    assert run.started_by.startswith("command (")
