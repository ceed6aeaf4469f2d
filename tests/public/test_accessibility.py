"""axe-core (pinned in tests/browser/package.json, installed by `npm ci`) finds no serious or critical
accessibility violation on any public page, on a phone and a desktop, in light and dark colour schemes."""

import pytest

from tests.conftest import REPO
from tests.public.conftest import serve_offline

pytestmark = pytest.mark.django_db(transaction=True)

AXE = REPO / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/",
    "/?topic=ai-in-robotics&period=week",
    "/?published_after=someday",  # the filter form reporting an error
    "/top/",
    "/articles/warehouse-robots/",
    "/articles/translation-model/",
    "/topics/ai/",
    "/topics/ai-in-robotics/",
    "/providers/dailyledger.example.com/",
    "/search/?q=robots",
    "/search/?q=nothing+matches+this",
    "/search/",
    "/articles/no-such-story/",
]


@pytest.fixture(scope="module")
def axe_script():
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run scripts/install-browser-deps (make test does)")
    return str(AXE)


@pytest.fixture
def page(browser, live_server):
    # axe is injected as an inline script, which the site's CSP rightly refuses: this context alone bypasses it
    # (tests/public/test_browser.py checks the site under its CSP).
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield serve_offline(page, live_server)
    context.close()


def serious_violations(page, axe_script) -> list[str]:
    page.add_script_tag(path=axe_script)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


# A phone and a desktop; colour contrast again in the dark scheme (it does not depend on the width).
@pytest.mark.parametrize(("width", "scheme"), [(375, "light"), (1280, "light"), (1280, "dark")])
def test_no_serious_accessibility_violations(page, live_server, reader_world, axe_script, width, scheme):
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    found = {}
    for path in PAGES:
        page.goto(f"{live_server.url}{path}")
        violations = serious_violations(page, axe_script)
        if violations:
            found[path] = violations
    assert found == {}
