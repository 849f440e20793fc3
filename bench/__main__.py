"""Every benchmark of issue 7 in one run, one markdown report.

    python -m bench [--quick] [--only callbacks|engine|browser ...] [--repeat N] [--moves N]

  callbacks  every case of bench/cases_*.py (each page's callback at its default and its
             heaviest parameters) through the real /_dash-update-component endpoint, cold
             (result cache emptied before each request) and warm (a cache hit), with the
             trivial same-size figure callback measured in the same run (bench.bench_callbacks)
  engine     the engine micro-benchmarks (bench.bench_engine)
  browser    slider-to-redraw in headless Chromium against gunicorn (bench.bench_browser)

Targets (2-core machine): slider callback p95 ≤ 30 ms and ≤ 1.5× its trivial baseline,
response ≤ 150 kB; cliff ≤ 60 ms, RNN map ≤ 100 ms; slider-to-redraw p95 ≤ 150 ms.
The report (with the load average at start and end: the numbers are only as quiet as the
machine) is printed and saved to bench/results/<timestamp>.md. --quick: 5 repeats, 5 moves,
headline engine cases only. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import math
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench.report import load, pin_threads

THREADS = pin_threads()  # before anything imports numpy or torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
SECTIONS = ("callbacks", "engine", "browser")


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the report

def git_state() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              check=False).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "?"
    dirty = len(git("status", "--porcelain").splitlines())
    return f"{commit}" + (f" + {dirty} uncommitted paths" if dirty else "")


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"Python {platform.python_version()}"]
    for name in ("dash", "plotly", "numpy", "torch", "gunicorn"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            pass
    return ", ".join(parts)


def summary(failures: list[str]) -> str:
    if not failures:
        return "**Every target met.**"
    return "**Targets not met:**\n" + "\n".join(f"- {f}" for f in failures)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only this section (repeatable)")
    parser.add_argument("--quick", action="store_true",
                        help="5 repeats, 5 browser moves, headline engine cases only")
    parser.add_argument("--repeat", type=int,
                        help="timed runs per callback case and engine case (default 30 and 20)")
    parser.add_argument("--moves", type=int, help="slider moves per page (default 20)")
    parser.add_argument("--url", help="browser section: measure this running server")
    parser.add_argument("--no-save", action="store_true", help="do not write bench/results/")
    args = parser.parse_args(argv)
    only = args.only or list(SECTIONS)
    cb_repeat = args.repeat or (5 if args.quick else 30)
    engine_repeat = args.repeat or (5 if args.quick else 20)
    moves = args.moves or (5 if args.quick else 20)

    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    load_start = load()
    progress(f"load at start: {load_start}")
    out = [f"# GradLab benchmarks, {stamp}", "",
           f"- commit {git_state()}; {versions()}; BLAS/torch threads {THREADS}",
           (f"- machine: {platform.node()}, {platform.machine()}, load average at start "
            f"{load_start}"),
           f"- command: python -m bench {' '.join(argv if argv is not None else sys.argv[1:])}",
           ""]
    failures: list[str] = []
    started = time.perf_counter()

    if "callbacks" in only:
        progress("callbacks ...")
        from bench import bench_callbacks

        rows = bench_callbacks.run(cb_repeat, progress)
        out += [(f"## Callbacks: server time in ms through /_dash-update-component ({cb_repeat} "
                 "runs each, Flask test client in this process)"), "",
                bench_callbacks.LEGEND, "", bench_callbacks.table(rows), ""]
        failures += [f"callback {r['case']}: {miss}" for r in rows
                     for miss in bench_callbacks.misses(r)]

    if "engine" in only:
        progress("engine ...")
        from bench import bench_engine

        rows = bench_engine.run(engine_repeat, args.quick, progress)
        out += [(f"## Engine micro-benchmarks (median and p95 of {engine_repeat} runs after "
                 "a warm-up; d = 64, T = 500 rows: fewer)"), "", bench_engine.markdown(rows),
                "", ("Indented rows are the parts of the headline row above them (no target). "
                     "*: no target in the issue; marked against the 30 ms slider-callback "
                     "budget."), ""]
        failures += [f"engine {r.group}: {r.name.strip()} p95 {r.p95:.1f} ms > {r.target:g} ms"
                     for r in rows if r.ok is False]

    if "browser" in only:
        progress("browser ...")
        from bench import bench_browser

        try:
            results, where = bench_browser.run(moves, args.url, progress=progress)
            out += [(f"## Browser: slider change → figure redrawn ({moves} moves per page, "
                     "headless Chromium)"), "", f"Server: {where}.", "",
                    bench_browser.markdown(results), "", bench_browser.LEGEND, ""]
            for r in results:
                p95 = r.stat("redraw")[1]
                if r.ok is False:
                    failures.append(f"browser {r.target.page}: redraw p95 "
                                    + (f"{p95:.0f} ms" if not math.isnan(p95) else "—")
                                    + (f" ({r.errors[0]})" if not r.moves and r.errors else ""))
        except Exception as exc:  # noqa: BLE001  the report is still worth printing
            out += ["## Browser", "", f"Failed: {type(exc).__name__}: {exc}", ""]
            failures.append(f"browser: {type(exc).__name__}")

    load_end = load()
    progress(f"load at end: {load_end}")
    out += [summary(failures), "",
            f"Load average at end: {load_end}. Whole run {time.perf_counter() - started:.0f} s."]
    report = "\n".join(out) + "\n"
    print(report)
    if not args.no_save:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.md"
        path.write_text(report, encoding="utf-8")
        progress(f"saved {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
