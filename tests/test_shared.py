"""tests/shared.py and .ci/run: the shared corpus is found the same way everywhere, and CI cannot pass without it."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests import shared
from tests.conftest import REPO


def make_shared(root: Path) -> Path:
    (root / "corpus" / shared.CORPUS_NAME).mkdir(parents=True)
    (root / "tools").mkdir()
    (root / "tools" / "gen_corpus.py").write_text("")
    return root


def test_an_explicit_directory_wins_and_is_the_only_place_looked_at(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSROOM_SHARED", str(make_shared(tmp_path / "mine")))
    assert shared.corpus_dir() == tmp_path / "mine" / "corpus" / shared.CORPUS_NAME
    assert shared.generator() == tmp_path / "mine" / "tools" / "gen_corpus.py"

    # A wrong value must not fall back to ../shared: the run would test other data than the one asked for.
    monkeypatch.setenv("NEWSROOM_SHARED", str(tmp_path / "typo"))
    assert shared.candidates() == [tmp_path / "typo"]
    assert shared.corpus_dir() is None and shared.generator() is None
    assert str(tmp_path / "typo") in shared.missing_message("the real corpus")


def test_without_the_variable_the_directory_beside_the_repository_comes_first(monkeypatch):
    monkeypatch.delenv("NEWSROOM_SHARED", raising=False)
    assert shared.candidates() == [REPO.parent / "shared", Path("/work/shared")]


def outcome_of_need() -> tuple[str, str]:
    # Caught here, not with pytest.raises: a skip escaping it would skip this very test instead of failing it.
    try:
        shared.need(shared.corpus_dir(), "the real corpus")
    except pytest.skip.Exception as exc:
        return "skipped", str(exc)
    except pytest.fail.Exception as exc:
        return "failed", str(exc)
    return "passed", ""


def test_a_missing_corpus_skips_for_developers_and_fails_when_required(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSROOM_SHARED", str(tmp_path / "nowhere"))
    monkeypatch.delenv(shared.REQUIRE_VARIABLE, raising=False)
    outcome, message = outcome_of_need()
    assert outcome == "skipped" and "the real corpus not found" in message
    monkeypatch.setenv(shared.REQUIRE_VARIABLE, "1")
    outcome, message = outcome_of_need()
    assert outcome == "failed" and "a failure, not a skip" in message


def ci_run(tmp_path: Path, shared_dir: Path | None) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run a copy of .ci/run in a scratch repository, with apt-get, dpkg-query and make replaced by recorders."""
    repo = tmp_path / "clone"
    (repo / ".ci").mkdir(parents=True)
    shutil.copy(REPO / ".ci" / "run", repo / ".ci" / "run")
    (repo / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "install-system-packages", repo / "scripts" / "install-system-packages")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    for name, status in (("apt-get", 0), ("dpkg-query", 0), ("make", 0)):
        stub = bin_dir / name
        # dpkg-query must say "installed"; make records the variables the test suite will see.
        stub.write_text(
            "#!/bin/sh\n"
            f'echo "{name} $* REQUIRE=${{{shared.REQUIRE_VARIABLE}:-}} SHARED=${{NEWSROOM_SHARED:-}}" >> {calls}\n'
            + ('echo "install ok installed"\n' if name == "dpkg-query" else "")
            + f"exit {status}\n"
        )
        stub.chmod(0o755)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "HOME": str(tmp_path)}
    if shared_dir is not None:
        env["NEWSROOM_SHARED"] = str(shared_dir)
    result = subprocess.run(
        ["bash", str(repo / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return result, calls.read_text().splitlines() if calls.exists() else []


def test_ci_fails_loudly_before_installing_anything_when_the_corpus_is_missing(tmp_path):
    result, calls = ci_run(tmp_path, tmp_path / "no-such-dir")
    assert result.returncode == 1
    assert "the shared corpus is missing" in result.stderr and str(tmp_path / "no-such-dir") in result.stderr
    assert calls == []  # no dpkg-query, no apt-get, no make test


def test_ci_runs_the_suite_with_missing_corpus_tests_turned_into_failures(tmp_path):
    found = make_shared(tmp_path / "copy-of-shared")
    result, calls = ci_run(tmp_path, found)
    assert result.returncode == 0, result.stdout + result.stderr
    assert calls[-1] == f"make test REQUIRE=1 SHARED={found}"
