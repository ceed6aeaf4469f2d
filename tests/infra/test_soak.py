"""The short soak: bench/soak's scenario and checks, in seconds (harness/soak.py, SoakPlan.short)."""

import subprocess
import sys

import pytest

from harness.soak import Soak, SoakPlan
from tests import shared


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    generator = shared.need(shared.generator(), "the corpus generator")
    directory = tmp_path_factory.mktemp("soak") / "items"
    count = SoakPlan.short().items
    subprocess.run([sys.executable, str(generator), str(directory), "--count", str(count), "--seed", "1", "--quiet"],
                   check=True)  # fmt: skip
    return directory


def test_the_stack_survives_kills_restarts_and_an_interrupted_import(batch):
    soak = Soak(SoakPlan.short(), batch, log=lambda message: None)
    result = soak.run()
    report = "\n".join([*soak.table(), *result.notes])
    assert result.failures == [], report
    # The checks had something to judge: an editor at work, faults that happened, readers during each phase.
    assert len(result.hidden) >= 2 and set(result.kills) == {"importer", "web worker", "task worker"}
    assert all(any(start <= s.started < end for s in result.samples) for _, start, end in result.phases), report
