"""What the sandbox's containment costs per exercise, mechanism by mechanism.

Run from the repository root with bpgrade installed, as root (where the mechanisms apply):
    python benchmarks/containment_cost.py [--runs N]

One sandbox runs exercise03's reference solution on its public calls again and again (a fork
of the zygote per exercise, as grading does), and then on no calls at all (the sandbox's own
cost), first with every mechanism, then doing without each in turn (`Limits.without`, as a
kernel that refuses it would), then without any (sweeps by uid stand in).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from grader.catalog import load_catalog
from grader.grading import plan_exercise
from grader.sandbox import Limits, Sandbox, is_root

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {
    "everything": frozenset[str](),
    "without a private filesystem": frozenset({"filesystem"}),
    "without a PID namespace": frozenset({"pid"}),
    "without IPC and network namespaces": frozenset({"ipc", "net"}),
    "without a control group": frozenset({"cgroup"}),
    "without any (sweeps by uid)": frozenset({"filesystem", "pid", "ipc", "net", "cgroup"}),
}


def per_exercise(without: frozenset[str], runs: int, empty: bool = False) -> float:
    entry = load_catalog(ROOT / "exercises" / "catalog.toml").find("exercise03")
    assert entry is not None
    calls = [] if empty else plan_exercise(entry, seed=0).calls
    with Sandbox(Limits(without=without)) as box:
        workspace = box.workspace(ROOT / "solutions")
        box.run(workspace / entry.file, calls)  # the zygote is up and warm
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            box.run(workspace / entry.file, calls)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=40)
    runs = parser.parse_args().runs
    if not is_root():
        print("not root: learner code runs as your own user, and no mechanism applies")
    print(f"exercise03, {runs} runs each, median ms per exercise: its calls, and none")
    for name, without in VARIANTS.items():
        full, bare = per_exercise(without, runs), per_exercise(without, runs, empty=True)
        print(f"  {name:<38} {full * 1000:7.2f}  {bare * 1000:7.2f}")


if __name__ == "__main__":
    main()
