"""A live session under load (bench/load/live_hall.py): one lead and a hall of followers, as
locust users in .venv-load/ (no Dash here; the requests come built from --scenarios).

Lead: one tab on /chain that moves the w slider to a fresh value (nobody asked it before: the
lead's own request computes) about once a second, as assets/live.js then publishes it: the
page's callback answers with the canonical query (what the page mirrors into its address bar),
the tab's location watcher notices within its 250 ms tick (a uniform wait of 0–250 ms here),
and POSTs live/<id>/state. The moment of the slider release is kept per published version.

Follower: one tab that opened the follow link. It arrives as a browser does (GET live/<id>, 303
to the lead's page: the page, /_dash-layout, /_dash-dependencies, the router's render, the page
callback's initial call; the first poll comes before the page here, to learn the redirect's
target), then polls GET live/<id>/state once a second with If-None-Match, as
live.js does. On a new version it does what the page does after dash_clientside.set_props of the
one control that moved: the page callback's POST with its controls at the lead's values. Lag =
that response's last byte − the lead's slider release; the response must carry the lead's
canonical query (the follower really has the lead's figures).

Records (start, name, ms, status, error, resent, user, bytes), the lags (version, ms, user,
release time) and the polls' 200/304 counts go to --records.
"""
import json
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from locust import User, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Browser, timed_request  # standard library only

JSON_POST = {"Content-Type": "application/json", "Accept": "application/json"}
SCENARIO: dict = {}
RECORDS: list[tuple] = []
LAGS: list[tuple] = []
RELEASED: dict[int, float] = {}  # version → when the lead released the slider (wall clock)
COUNTS = {"poll_200": 0, "poll_304": 0, "stale_figures": 0, "skipped_versions": 0}
USERS = iter(range(10**9))


@events.init_command_line_parser.add_listener
def _arguments(parser):
    parser.add_argument("--scenarios", required=True, help="JSON from live_hall.build()")
    parser.add_argument("--records", required=True, help="where to write every request")


@events.init.add_listener
def _load(environment, **_):
    SCENARIO.update(json.loads(Path(environment.parsed_options.scenarios).read_text()))


@events.quitting.add_listener
def _write(environment, **_):
    with open(environment.parsed_options.records, "w", encoding="utf-8") as out:
        json.dump({"records": RECORDS, "lags": LAGS, "counts": COUNTS}, out)


def with_controls(body: dict, controls: dict, changed: list[str]) -> dict:
    body = json.loads(json.dumps(body))
    for item in body["inputs"]:
        if item["id"] in controls:
            item["value"] = controls[item["id"]]
    body["changedPropIds"] = [f"{c}.value" for c in changed]
    return body


def canonical_query(answer: bytes) -> str | None:
    try:
        return json.loads(answer)["response"]["chain-query"]["data"]
    except (ValueError, KeyError, TypeError):
        return None


class Tab(User):
    abstract = True

    def on_start(self):
        address = urlsplit(self.host)
        self.browser = Browser(address.hostname, address.port or 80)
        self.user = next(USERS)

    def on_stop(self):
        self.browser.close()

    def send(self, name, method, path, body=None, headers=None, referer=None):
        headers = {**(JSON_POST if body is not None else {}), **(headers or {})}
        if referer:
            headers["Referer"] = self.host.rstrip("/") + referer
        data = json.dumps(body).encode() if body is not None else None
        got = timed_request(self.browser, method, path, data, headers)
        if got.status in (303, 304) and got.error:  # both are answers a browser expects here
            got.error = None
        RECORDS.append((got.started, name, got.ms, got.status, got.error, got.resent, self.user,
                        len(got.content)))
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=got.ms, response_length=len(got.content),
            exception=RuntimeError(got.error) if got.error else None, context={})
        return got


class Lead(Tab):
    fixed_count = 1

    def on_start(self):
        super().on_start()
        self.state = json.loads(json.dumps(SCENARIO["callback"]))
        self.sid, self.token = SCENARIO["session"], SCENARIO["token"]

    @task
    def move(self):
        started = time.monotonic()
        released = time.time()
        w = round(random.uniform(0.5, 1.5), 4)  # a value of its own: the lead's request computes
        body = with_controls(self.state, {"chain-w": w}, ["chain-w"])
        got = self.send("POST lead move /chain", "POST", "/_dash-update-component", body,
                        referer="/chain")
        query = canonical_query(got.content) if got.error is None else None
        if query:
            self.state = body
            time.sleep(random.uniform(0.0, 0.25))  # live.js's location watcher ticks at 250 ms
            answer = self.send("POST publish", "POST", f"/live/{self.sid}/state",
                               {"token": self.token, "path": "/chain", "query": query})
            if answer.error is None:
                RELEASED[json.loads(answer.content)["version"]] = released
        time.sleep(max(0.0, random.uniform(0.9, 1.1) - (time.monotonic() - started)))


class Follower(Tab):
    weight = 1  # everyone but the lead

    def on_start(self):
        super().on_start()
        self.etag, self.applied = None, None
        sid = SCENARIO["session"]
        self.send("GET follow link", "GET", f"/live/{sid}")  # 303 to the lead's page
        # browser.py reads no headers: the state (what the redirect read too) gives the
        # Location; live.js's first poll at load is the same request
        state = self.poll()
        href = (state or {}).get("href", "/chain")
        path, _, search = href.partition("?")
        self.send("GET page", "GET", href)
        self.send("GET /_dash-layout", "GET", "/_dash-layout", referer=href)
        self.send("GET /_dash-dependencies", "GET", "/_dash-dependencies", referer=href)
        router = json.loads(json.dumps(SCENARIO["router"]))
        for item in router["inputs"]:
            item["value"] = path if item["property"] == "pathname" else ("?" + search if search else "")
        self.send("POST render page", "POST", "/_dash-update-component", router, referer=href)
        if state:
            body = with_controls(SCENARIO["callback"], state["controls"], [])
            self.send("POST initial /chain", "POST", "/_dash-update-component", body, referer=href)
            self.applied = state

    def poll(self):
        headers = {"If-None-Match": self.etag} if self.etag else {}
        got = self.send("GET state", "GET", f"/live/{SCENARIO['session']}/state", headers=headers)
        if got.status == 304:
            COUNTS["poll_304"] += 1
            return None
        if got.status != 200 or got.error:
            return None
        COUNTS["poll_200"] += 1
        state = json.loads(got.content)
        self.etag = f'"{SCENARIO["session"]}.{state["version"]}"'
        return state

    @task
    def follow(self):
        started = time.monotonic()
        state = self.poll()
        if state and self.applied and state["version"] > self.applied["version"]:
            moved = [c for c, v in state["controls"].items() if self.applied["controls"].get(c) != v]
            if moved:  # live.js: set_props of the control → the page callback's request
                body = with_controls(SCENARIO["callback"], state["controls"], moved[:1])
                got = self.send("POST follow move /chain", "POST", "/_dash-update-component",
                                body, referer=state["href"])
                done = time.time()
                if got.error is None:
                    # the answer carries the lead's canonical query (a byte search: parsing
                    # 300 figure answers a second would cost the load generator a core)
                    if f'"data":"?{state["query"]}"'.encode() not in got.content:
                        COUNTS["stale_figures"] += 1
                    released = RELEASED.get(state["version"])
                    if released is not None:
                        LAGS.append((state["version"], round((done - released) * 1e3, 1),
                                     self.user, released))
                    COUNTS["skipped_versions"] += state["version"] - self.applied["version"] - 1
            self.applied = state
        elif state and not self.applied:
            self.applied = state
        # live.js polls again a second after the last poll answered
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)) + random.uniform(0, 0.02))
