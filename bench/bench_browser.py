"""Slider-to-redraw latency in headless Chromium, per page, against the deployment server.

    python -m bench.bench_browser [--moves 20] [--url http://127.0.0.1:8050]

Serves the app exactly as the Docker image does (`gunicorn -c gunicorn.conf.py app:server`
from the repository root, 2 workers × 4 threads, on a free loopback port; the server log goes
to bench/results/) unless --url names a running server. For each page, one slider that drives
the page's main figure is moved `--moves` times with the right-arrow key on its handle (a real
key press through the WebDriver, as a keyboard user does; after two unmeasured warm-up moves),
each move waiting for the previous one's redraw and a short quiet spell.

Measured in the page with performance.now() (a script injected before the move):
  t0        the keydown event's timeStamp on the slider handle
  request   the /_dash-update-component fetch (Resource Timing): its start and responseEnd
  drawn     plotly_afterplot of the target figure whose gd.data is the new data
  painted   the first task after the next animation frame that follows `drawn`: the figure is
            on screen. This is the reported redraw time (target 150 ms).
The split: client before the request (Radix → Dash → fetch), the request (server + loopback),
and client after the response (JSON, React, Plotly.react, paint).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a file
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import FAIL, fmt, mark, stats, table

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
TARGET_MS = 150.0
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync",
         "--window-size=1400,1000",
         # offline, as in the browser tests: every host but this machine fails to resolve
         "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1, EXCLUDE localhost")


@dataclass(frozen=True)
class Target:
    page: str              # row label
    url: str               # path and query
    slider: str            # component id of a slider with updatemode="drag"
    graph: str             # the figure whose redraw is timed
    frame: str | None = None  # CSS selector of the iframe that holds slider and graph


# One drag-mode slider per page that changes the main figure (the mouseup sliders, /rnn's d, T
# and seed, /matrix's k, d and seed, send one request on release: the same path).
TARGETS = (
    Target("/chain", "/chain", "chain-w", "chain-gradients"),
    Target("/matrix", "/matrix", "matrix-lam1", "matrix-gradients"),
    Target("/rnn", "/rnn", "rnn-rho", "rnn-norms"),
    Target("/dynamics", "/dynamics", "dynamics-w", "dynamics-gradient"),
    Target("/cliff", "/cliff", "cliff-lr", "cliff-surface"),
    # /tour has no slider of its own: its live figure is an iframe of /embed/chain-gradients
    # with the page's controls, so the slider is moved inside that frame
    Target("/tour (its /embed iframe)", "/tour?step=1", "chain-w", "chain-gradients",
           frame="#tour-figure"),
)

INSTALL = """
const target = arguments[0];
const graphs = () => Array.from(document.querySelectorAll('.js-plotly-plot'));
const nameOf = gd => (gd.closest('[id]') || {}).id;
const B = window.__bench = {armed: false, t0: null, before: {}, drawn: {}, painted: {},
                            fetches: [], target: target, n: graphs().length};
new PerformanceObserver(list => {
  for (const e of list.getEntries()) {
    if (B.armed && e.name.includes('_dash-update-component')) {
      B.fetches.push({start: e.startTime, end: e.responseEnd, bytes: e.encodedBodySize});
    }
  }
}).observe({type: 'resource'});
document.addEventListener('keydown', e => {
  if (B.armed && B.t0 === null) B.t0 = e.timeStamp;
}, true);
for (const gd of graphs()) {
  const name = nameOf(gd);
  gd.on('plotly_afterplot', () => {
    if (!B.armed || B.t0 === null || name in B.drawn || gd.data === B.before[name]) return;
    B.drawn[name] = performance.now();
    requestAnimationFrame(() => setTimeout(() => { B.painted[name] = performance.now(); }, 0));
  });
}
return B.n;
"""

ARM = """
const B = window.__bench;
B.t0 = null; B.drawn = {}; B.painted = {}; B.fetches = []; B.before = {};
for (const gd of document.querySelectorAll('.js-plotly-plot')) {
  B.before[(gd.closest('[id]') || {}).id] = gd.data;
}
B.armed = true;
"""

# Resolves when the target figure is painted and every other figure has redrawn too (or 2 s
# later), then after a quiet spell with no new request: the next move starts from rest.
WAIT = """
const done = arguments[arguments.length - 1];
const timeout = arguments[0], quiet = arguments[1];
const B = window.__bench, started = performance.now();
let settledAt = null, fetches = -1;
(function poll() {
  const now = performance.now();
  const painted = B.painted[B.target] !== undefined;
  const all = Object.keys(B.painted).length >= B.n;
  if (painted && (all || now - B.painted[B.target] > 2000)) {
    if (B.fetches.length !== fetches) { fetches = B.fetches.length; settledAt = now; }
    if (now - settledAt >= quiet) {
      B.armed = false;
      return done({t0: B.t0, drawn: B.drawn, painted: B.painted, fetches: B.fetches,
                   target: B.target, timeout: false});
    }
  } else if (now - started > timeout) {
    B.armed = false;
    return done({t0: B.t0, drawn: B.drawn, painted: B.painted, fetches: B.fetches,
                 target: B.target, timeout: true});
  }
  setTimeout(poll, 4);
})();
"""

READY = """
const graphs = Array.from(document.querySelectorAll('.js-plotly-plot'));
const target = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return !!target && !!target._fullData && target._fullData.length > 0
       && graphs.every(gd => gd._fullData && gd.on)
       && !!document.querySelector('#' + arguments[1] + " [role='slider']");
"""


@dataclass
class Move:
    redraw: float       # t0 → target painted
    drawn: float        # t0 → target afterplot
    before: float       # t0 → fetch start
    request: float      # fetch start → responseEnd
    after: float        # responseEnd → target painted
    last: float         # t0 → the last figure painted
    requests: int


@dataclass
class PageResult:
    target: Target
    moves: list[Move] = field(default_factory=list)
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)
    figures: int = 0
    values: tuple[str, str] = ("?", "?")  # the slider's aria-valuenow before and after

    def stat(self, attr) -> tuple[float, float]:
        return stats(getattr(m, attr) for m in self.moves)

    @property
    def ok(self) -> bool | None:
        if not self.moves:
            return False
        return self.stat("redraw")[1] <= TARGET_MS and not self.timeouts


def start_server(log_dir: Path):
    """gunicorn with the deployment config (tests/deploy's helpers); returns the Server."""
    from tests.deploy.conftest import Server, clean_env, free_port, gunicorn_command

    port = free_port()
    cache = Path(tempfile.mkdtemp(prefix="gradlab-bench-cache-"))
    env = clean_env(PORT=port, HOST="127.0.0.1", GRADLAB_CACHE_DIR=cache)
    log_dir.mkdir(parents=True, exist_ok=True)
    server = Server(gunicorn_command(), env, log_dir / f"gunicorn-{time.strftime('%Y%m%d-%H%M%S')}.log",
                    port)
    try:
        server.wait_healthy()
        workers = int(env.get("WEB_CONCURRENCY", "2"))
        server.wait_log(r"GradLab warm-up: GET", workers)
    except BaseException:
        server.stop()
        raise
    return server


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    for flag in FLAGS:
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "SEVERE"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_script_timeout(60)
    return driver


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def measure_page(driver, base_url: str, target: Target, moves: int, warmup: int = 2,
                 quiet_ms: int = 150, progress=None) -> PageResult:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    result = PageResult(target)
    driver.switch_to.default_content()
    driver.get(base_url + target.url)
    if target.frame:
        wait_until(lambda: driver.find_elements(By.CSS_SELECTOR, target.frame), 30,
                   f"{target.frame} on {target.url}")
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, target.frame))
    wait_until(lambda: driver.execute_script(READY, target.graph, target.slider), 60,
               f"{target.url}: figures never drew")
    time.sleep(0.5)  # let the initial callbacks and the URL mirror settle
    result.figures = driver.execute_script(INSTALL, target.graph)
    handle = driver.find_element(By.CSS_SELECTOR, f"#{target.slider} [role='slider']")
    driver.execute_script("arguments[0].focus()", handle)
    start_value = handle.get_attribute("aria-valuenow")
    for i in range(warmup + moves):
        driver.execute_script(ARM)
        handle.send_keys(Keys.ARROW_RIGHT)
        got = driver.execute_async_script(WAIT, 20000, quiet_ms)
        if i < warmup:
            continue
        if got["timeout"] or got["t0"] is None:
            result.timeouts += 1
            continue
        t0, name = got["t0"], got["target"]
        fetches = sorted((f for f in got["fetches"] if f["start"] >= t0 - 1),
                         key=lambda f: f["start"])
        first = fetches[0] if fetches else {"start": float("nan"), "end": float("nan")}
        painted = got["painted"][name]
        result.moves.append(Move(
            redraw=painted - t0, drawn=got["drawn"][name] - t0,
            before=first["start"] - t0, request=first["end"] - first["start"],
            after=painted - first["end"], last=max(got["painted"].values()) - t0,
            requests=len(fetches)))
    result.values = (start_value, handle.get_attribute("aria-valuenow"))
    driver.switch_to.default_content()
    result.errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    if progress:
        med = result.stat("redraw")[0]
        progress(f"  browser {target.page}: {len(result.moves)} moves, median {med:.0f} ms")
    return result


def run(moves: int = 20, url: str | None = None, targets=TARGETS, progress=None,
        log_dir: Path = RESULTS) -> tuple[list[PageResult], str]:
    """(results per page, a line describing the server)."""
    server = None
    if url is None:
        server = start_server(log_dir)
        url = server.url
        where = (f"gunicorn -c gunicorn.conf.py app:server on {url} (WEB_CONCURRENCY 2, "
                 f"GUNICORN_THREADS 4 by default; log {server.log_path.relative_to(ROOT)})")
    else:
        where = f"the running server at {url}"
    driver = None
    try:
        driver = browser()
        where += f"; Chromium {driver.capabilities.get('browserVersion', '?')} headless"
        driver.get(url + "/healthz")
        results = []
        for t in targets:
            try:
                results.append(measure_page(driver, url, t, moves, progress=progress))
            except Exception as exc:  # noqa: BLE001  one page's failure is a row
                failed = PageResult(t)
                failed.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                results.append(failed)
                if progress:
                    progress(f"  browser {t.page}: FAILED {failed.errors[-1]}")
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.stop()
    return results, where


def markdown(results: list[PageResult]) -> str:
    rows = []
    for r in results:
        med, p95 = r.stat("redraw")
        reqs = sorted({m.requests for m in r.moves})
        note = []
        if r.timeouts:
            note.append(f"{r.timeouts} moves timed out")
        if r.errors and not r.moves:
            note.append(r.errors[0])
        elif r.errors:
            note.append(f"{len(r.errors)} console errors")
        if reqs and reqs != [1]:
            note.append(f"requests per move: {'/'.join(map(str, reqs))}")
        rows.append([
            r.target.page, f"{r.target.slider} {r.values[0]}→{r.values[1]} → {r.target.graph}",
            len(r.moves),
            fmt(med), fmt(p95), fmt(r.stat("drawn")[0]), fmt(r.stat("before")[0]),
            fmt(r.stat("request")[0]), fmt(r.stat("after")[0]),
            fmt(r.stat("last")[0]), f"≤ {TARGET_MS:g}",
            mark(r.ok) if r.moves else FAIL, "; ".join(note)])
    headers = ["page", "slider (values) → figure", "moves", "redraw median ms", "redraw p95 ms",
               "afterplot median", "before request", "request", "after response",
               "all figures", "target", "ok", "notes"]
    return table(headers, rows, right=set(range(2, 11)))


LEGEND = ("redraw: keydown on the slider handle → the target figure painted with the new data "
          "(plotly_afterplot, then the next frame); the medians of the split: client work "
          "before the request, the request (server + loopback, Resource Timing), client work "
          "after the response; all figures: until the page's last figure is painted.")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--url", help="measure a running server instead of starting gunicorn")
    parser.add_argument("--page", action="append", help="only these pages (e.g. /cliff)")
    args = parser.parse_args(argv)
    targets = [t for t in TARGETS if not args.page or t.page.split()[0] in args.page]
    results, where = run(args.moves, args.url, targets, progress=print)
    print(f"server: {where}")
    print(markdown(results))
    print(LEGEND)
    return results


if __name__ == "__main__":
    main()
