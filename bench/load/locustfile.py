"""A lecture hall on GradLab: locust users that open a page from a preset link and then move
its sliders about once a second. Runs in .venv-load/ (locust, no Dash), started by
`python -m bench.load` (bench/load/runner.py), which builds the requests in the main
environment and passes them in with --scenarios.

One user is one browser tab on one keep-alive connection (bench/load/browser.py: a browser's
rules for connections the server closed, and the only resend a browser makes). Its life:

1. open a page from its preset URL: GET the page, GET /_dash-layout and /_dash-dependencies,
   POST the page router's render of that URL and the page callback's initial call
   (with --assets also the scripts and styles the page loads, once per user, as with an empty
   browser cache);
2. then, about once a second (pacing 1 s ± 20 %, whatever the response time), release one
   slider at one of a few values: POST /_dash-update-component with the page's whole state;
3. now and then (on average every --nav-every moves) open another preset page: the
   lecturer moves on.

With --explore (the explorer hall) a move sets the slider to a fresh value of the user's own in
its whole range (scenarios.EXPLORE), so no two users ask the same question and every move is
computed: the cold path under load. Pages without explorer sliders (/train) are only opened.

Every request is recorded (wall-clock start, name, ms, status, error, resent, question,
bytes) in --records for the runner, which computes the percentiles itself; locust's own
statistics see the same requests through its request event. A failure is an HTTP status other
than 200/204 or an error the browser rules do not absorb (see browser.py).
"""
import json
import random
import re
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

from locust import User, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Browser, timed_request  # standard library only, shared with tests/deploy

JSON_POST = {"Content-Type": "application/json", "Accept": "application/json"}
ASSET = re.compile(r'(?:src|href)="(/[^"]+)"')
LAZY = ["/_dash-component-suites/dash/dcc/async-graph.js",
        "/_dash-component-suites/plotly/package_data/plotly.min.js",
        "/_dash-component-suites/dash/dcc/async-markdown.js",
        "/_dash-component-suites/dash/dcc/async-mathjax.js",
        "/_dash-component-suites/dash/dcc/async-slider.js"]

SCENARIOS: list[dict] = []
RECORDS: list[tuple] = []
BROWSERS: list[Browser] = []


@events.init_command_line_parser.add_listener
def _arguments(parser):
    parser.add_argument("--scenarios", required=True, help="JSON from bench/load/scenarios.py")
    parser.add_argument("--records", required=True, help="where to write every request")
    parser.add_argument("--pacing", type=float, default=1.0, help="seconds between moves")
    parser.add_argument("--nav-every", type=float, default=30.0,
                        help="mean number of moves before a user opens another page")
    parser.add_argument("--assets", action="store_true",
                        help="also fetch scripts and styles on a user's first page")
    parser.add_argument("--explore", action="store_true",
                        help="explorer hall: every move goes to a value of the user's own")


@events.init.add_listener
def _load(environment, **_):
    SCENARIOS.extend(json.loads(Path(environment.parsed_options.scenarios).read_text()))


@events.quitting.add_listener
def _write(environment, **_):
    counters = {key: sum(getattr(b, key) for b in BROWSERS)
                for key in ("connections", "stale", "resent")}
    with open(environment.parsed_options.records, "w", encoding="utf-8") as out:
        json.dump({"counters": counters, "records": RECORDS}, out)


def question(body: dict) -> int:
    """What a callback asks (its input values): equal questions have equal numbers."""
    return zlib.crc32(json.dumps(body["inputs"], sort_keys=True).encode())


def fresh_value(low, high, integer: bool):
    """A value in [low, high] that no other user is likely to ask for (explorer hall)."""
    return random.randint(low, high) if integer else round(random.uniform(low, high), 4)


class Student(User):
    def on_start(self):
        options = self.environment.parsed_options
        address = urlsplit(self.host)
        self.base = self.host.rstrip("/")
        self.browser = Browser(address.hostname, address.port or 80)
        BROWSERS.append(self.browser)
        self.pacing, self.nav_every, self.assets = options.pacing, options.nav_every, options.assets
        self.explore = options.explore
        self.scenario = self.state = None
        self.task_started = time.monotonic()
        self.open(random.choices(SCENARIOS, [s["weight"] for s in SCENARIOS])[0])
        time.sleep(self.wait_time())  # gevent's sleep: a look at the page before the first move

    def on_stop(self):
        self.browser.close()

    def wait_time(self):
        """Constant pacing with jitter: the next action starts about `pacing` seconds after
        the last one started, however long its response took."""
        target = self.task_started + random.uniform(0.8, 1.2) * self.pacing
        return max(0.0, target - time.monotonic())

    def send(self, name: str, method: str, path: str, body: dict | None = None,
             referer: str | None = None) -> bytes | None:
        headers = dict(JSON_POST) if body is not None else {}
        if referer:
            headers["Referer"] = self.base + referer
        data = json.dumps(body).encode() if body is not None else None
        got = timed_request(self.browser, method, path, data, headers)
        asks = name.startswith(("POST move", "POST initial"))
        RECORDS.append((got.started, name, got.ms, got.status, got.error, got.resent,
                        question(body) if asks else None, len(got.content)))
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=got.ms, response_length=len(got.content),
            exception=RuntimeError(got.error) if got.error else None, context={})
        return got.content if got.error is None else None

    def open(self, scenario: dict):
        """Open `scenario`'s preset URL as a browser does (a link on the lecturer's slide)."""
        url, page = scenario["url"], scenario["page"]
        html = self.send("GET page", "GET", url)
        if self.assets and self.scenario is None and html:
            for path in dict.fromkeys(ASSET.findall(html.decode("utf-8", "replace")) + LAZY):
                self.send("GET asset", "GET", path.replace("&amp;", "&"), referer=url)
        self.send("GET /_dash-layout", "GET", "/_dash-layout", referer=url)
        self.send("GET /_dash-dependencies", "GET", "/_dash-dependencies", referer=url)
        self.send("POST render page", "POST", "/_dash-update-component", scenario["router"],
                  referer=url)
        self.scenario, self.state = scenario, scenario["callback"]
        self.send(f"POST initial {page}", "POST", "/_dash-update-component", self.state,
                  referer=url)

    @task
    def act(self):
        self.task_started = time.monotonic()
        sliders = self.scenario["explore"] if self.explore else self.scenario["sliders"]
        if not sliders or random.random() < 1 / self.nav_every:
            others = [s for s in SCENARIOS if s is not self.scenario]
            self.open(random.choices(others, [s["weight"] for s in others])[0])
            return
        slider = random.choice(list(sliders))
        self.state = json.loads(json.dumps(self.state))
        for item in self.state["inputs"]:
            if item["id"] == slider:
                item["value"] = fresh_value(*sliders[slider]) if self.explore else \
                    random.choice(sliders[slider])
        self.state["changedPropIds"] = [f"{slider}.value"]
        self.send(f"POST move {self.scenario['page']}", "POST", "/_dash-update-component",
                  self.state, referer=self.scenario["url"])
