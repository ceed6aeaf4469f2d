"""Where the shared directory is (the real corpus, the corpus generator): one lookup for tests/ and bench/.

`$NEWSROOM_SHARED` when set (and then only there: a typo must not fall back silently), else `../shared` beside
the repository, else `/work/shared`. `.ci/run` repeats this lookup in shell, before installing anything.
Standard library only: bench/ imports it outside Django.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CORPUS_NAME = "everyday-cc-ai"
# Set by .ci/run: a missing shared directory fails the tests that need it instead of skipping them.
REQUIRE_VARIABLE = "NEWSROOM_REQUIRE_SHARED"


def candidates() -> list[Path]:
    explicit = os.environ.get("NEWSROOM_SHARED")
    if explicit:
        return [Path(explicit)]
    return [REPO.parent / "shared", Path("/work/shared")]


def shared_dir() -> Path | None:
    """The first candidate that holds the real corpus, or None."""
    return next((path for path in candidates() if (path / "corpus" / CORPUS_NAME).is_dir()), None)


def missing_message(what: str) -> str:
    looked = ", ".join(str(path) for path in candidates())
    return f"{what} not found: no shared directory with corpus/{CORPUS_NAME} at {looked} (set NEWSROOM_SHARED)"


def corpus_dir() -> Path | None:
    shared = shared_dir()
    return shared / "corpus" / CORPUS_NAME if shared else None


def generator() -> Path | None:
    shared = shared_dir()
    path = shared / "tools" / "gen_corpus.py" if shared else None
    return path if path and path.is_file() else None


def required() -> bool:
    return os.environ.get(REQUIRE_VARIABLE, "") not in ("", "0")


def need(path: Path | None, what: str) -> Path:
    """`path`, or skip the test (a developer without the shared directory), or fail it under .ci/run."""
    import pytest  # only the tests call this; bench/ imports the module without pytest

    if path is None:
        message = missing_message(what)
        if required():
            pytest.fail(f"{message}; {REQUIRE_VARIABLE} is set, so this is a failure, not a skip")
        pytest.skip(message)
    return path
