"""What every benchmark shares: one-thread numerics, median/p95, the target marks, markdown
tables and the machine's load. No numpy import at module level: `pin_threads()` must be able
to run before numpy loads."""
from __future__ import annotations

import math
import os
import statistics
import time

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
PASS, FAIL = "✓", "✗"


def pin_threads() -> str:
    """One BLAS/torch thread, as app/__init__.py and every gunicorn worker have (BENCH_THREADS
    changes it). Effective only before numpy/torch are imported; returns the count."""
    threads = os.environ.get("BENCH_THREADS", "1")
    for var in THREAD_VARS:
        os.environ.setdefault(var, threads)
    return os.environ["OMP_NUM_THREADS"]


def percentile(values, q: float) -> float:
    """numpy's default (linear) percentile, without numpy."""
    xs = sorted(values)
    if not xs:
        return math.nan
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def stats(values) -> tuple[float, float]:
    """(median, p95)."""
    values = list(values)
    if not values:
        return math.nan, math.nan
    return statistics.median(values), percentile(values, 95)


def time_ms(f, runs: int, warmup: int = 1) -> list[float]:
    """Wall times of f() in ms, after `warmup` untimed calls."""
    for _ in range(warmup):
        f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append((time.perf_counter() - start) * 1e3)
    return times


def mark(*checks: bool | None) -> str:
    """✓ if every check that applies (not None) holds, ✗ if one fails, — if none applies."""
    applied = [c for c in checks if c is not None]
    if not applied:
        return "—"
    return PASS if all(applied) else FAIL


def fmt(value, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def kb(size: int | None) -> str:
    """Bytes as kB (1000 bytes), the unit of the 150 KB target."""
    return "—" if size is None else f"{size / 1000:.1f}"


def table(headers: list[str], rows: list[list], right: set[int] | None = None) -> str:
    """A markdown table; columns in `right` (default: all but the first) align right."""
    right = set(range(1, len(headers))) if right is None else right
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values):
        return "| " + " | ".join(v.rjust(w) if i in right else v.ljust(w)
                                 for i, (v, w) in enumerate(zip(values, widths))) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2))
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(headers), rule, *map(line, cells)])


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"
