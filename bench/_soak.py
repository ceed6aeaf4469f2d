"""Implementation of bench/soak (run that wrapper): the scenario is harness/soak.py, shared with the test suite."""

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _common import ensure_corpus  # noqa: E402

from harness.soak import Soak, SoakPlan  # noqa: E402
from harness.verdict import LEAK_GRACE  # noqa: E402


def log(message: str) -> None:
    print(f"soak: {message}", file=sys.stderr, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, help="items in the imported batch (default 20,000)")
    parser.add_argument("--readers", type=int, help="concurrent readers (default 32)")
    parser.add_argument("--short", action="store_true", help="the test suite's plan: seconds, not minutes")
    args = parser.parse_args()
    plan = SoakPlan.short() if args.short else SoakPlan.full()
    plan = replace(plan, items=args.items or plan.items, readers=args.readers or plan.readers)
    corpus = ensure_corpus(plan.items, log)
    started = time.monotonic()
    soak = Soak(plan, corpus, log=log)
    result = soak.run()
    load = os.getloadavg()
    print(f"\nbench/soak: {plan.items} items, {plan.readers} readers, {plan.web_workers} gunicorn workers, "
          f"{time.monotonic() - started:.0f} s, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"({os.cpu_count()} cores)\n")  # fmt: skip
    print("\n".join(soak.table()))
    print()
    for note in result.notes:
        print(f"  {note}")
    for table, (after, reference) in result.data_checksums.items():
        print(f"  {table:<14} after the killed import + re-run {after[:12]}  clean import {reference[:12]}")
    print(f"  image tasks enqueued before the task worker was killed: {result.tasks}")
    print(
        f"\nchecks (leak grace {LEAK_GRACE:.0f} s, recovery limit {plan.recovery_limit:.0f} s, "
        f"/healthz limit {plan.healthz_limit:.0f} s):"
    )
    if result.failures:
        for failure in result.failures:
            print(f"  FAIL {failure}")
        return 1
    print("  all passed: no leak, no loss, availability held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
