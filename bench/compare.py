"""Old against new: every callback case timed on another commit and on this tree, side by side.

    python -m bench.compare REF [--repeat 15] [--rounds 3]

REF (a commit, tag or branch) is checked out in a temporary git worktree; this tree's bench/
and tests/dash_client.py are copied into it, so both versions are timed by the same cases (URL
states, bench/cases_*.py) and the same code. The two run in turns (old, new, old, new, ...) so
that the machine's drift falls on both; each number is the median over the rounds of one run's
median. The ratio new/old is the figure that holds across machines (below 1: faster now).
The report is printed and saved to bench/results/compare-<ref>-<timestamp>.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.report import fmt, load, table

ROOT = Path(__file__).resolve().parents[1]


def git(*args, cwd=ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout.strip()


def checkout(ref: str, folder: Path) -> None:
    """REF in `folder` (a detached worktree), measured by this tree's benchmark code."""
    git("worktree", "add", "--detach", "--force", str(folder), ref)
    for path in [*(ROOT / "bench").glob("*.py"), ROOT / "tests" / "dash_client.py"]:
        shutil.copy2(path, folder / path.relative_to(ROOT))


def timed_rows(tree: Path, repeat: int) -> dict[str, dict]:
    """One bench_callbacks run in `tree`: case label → row."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "rows.json"
        env = {**os.environ, "GRADLAB_CACHE_DIR": scratch, "OMP_NUM_THREADS": "1",
               "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        subprocess.run([sys.executable, "-m", "bench.bench_callbacks", "--repeat", str(repeat),
                        "--json", str(out)], cwd=tree, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return {row["case"]: row for row in json.loads(out.read_text())}


def compare(ref: str, repeat: int, rounds: int, progress=print) -> str:
    old_tree = Path(tempfile.mkdtemp(prefix="gradlab-compare-")) / "tree"
    checkout(ref, old_tree)
    runs = {"old": [], "new": []}
    try:
        for i in range(rounds):
            for side, tree in (("old", old_tree), ("new", ROOT)):
                progress(f"round {i + 1}/{rounds}: {side}")
                runs[side].append(timed_rows(tree, repeat))
    finally:
        git("worktree", "remove", "--force", str(old_tree))
        shutil.rmtree(old_tree.parent, ignore_errors=True)

    def median(side, case, key):
        values = [run[case][key] for run in runs[side] if case in run]
        return statistics.median(values) if values else float("nan")

    body = []
    for case in runs["new"][0]:
        row = [case]
        for key in ("cold", "warm"):
            old, new = median("old", case, key), median("new", case, key)
            row += [fmt(old), fmt(new), f"{new / old:.2f}" if old == old else "—"]
        old_kb = median("old", case, "bytes") / 1000
        row += [f"{old_kb:.1f}", f"{median('new', case, 'bytes') / 1000:.1f}"]
        body.append(row)
    head = (f"Callbacks, {ref} ({git('rev-parse', '--short', ref)}) against this tree "
            f"({git('rev-parse', '--short', 'HEAD')} + working tree): medians in ms over "
            f"{rounds} alternating rounds of {repeat} requests each; load {load()}.")
    return head + "\n\n" + table(
        ["callback", "old cold", "new cold", "new/old", "old warm", "new warm", "new/old",
         "old kB", "new kB"], body)


def main(argv=None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    report = compare(args.ref, args.repeat, args.rounds,
                     progress=lambda text: print(text, file=sys.stderr, flush=True))
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    name = f"compare-{args.ref.replace('/', '_')}-{time.strftime('%Y%m%d-%H%M%S')}.md"
    (results / name).write_text(report + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
