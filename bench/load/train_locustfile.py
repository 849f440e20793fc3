"""A hall presses Start (bench/load/train_hall.py): locust users of two kinds, in .venv-load/.

Trainer: one browser tab on /train. It opens the page from a link (the preset most of the hall
was told to use, or settings of its own), presses Start, then polls the run once a second as
the page does (assets/gradlab.js pollRun: GET runs/poll, and the new snapshot's figures when
there is one) until the run has ended; it records when Start answered, when the page first
showed a queue position or progress, and when the run first showed steps done.
Mover: one tab on /chain releasing a slider about once a second (the pages must stay fast).

Every request is recorded (start, name, ms, status, error, resent, user, bytes) and every
trainer's milestones (user, kind, start, first feedback, first running, ended, last status) in
--records for the runner.
"""
import json
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import User, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser import Browser, timed_request  # standard library only

JSON_POST = {"Content-Type": "application/json", "Accept": "application/json"}
PROGRESS_TEXT, POLL_DISABLED, RUN_REF = 10, -2, -1  # places in the page's run outputs
SCENARIO: dict = {}
RECORDS: list[tuple] = []
MILESTONES: list[dict] = []
BROWSERS: list[Browser] = []
USERS = iter(range(10**9))


@events.init_command_line_parser.add_listener
def _arguments(parser):
    parser.add_argument("--scenarios", required=True, help="JSON from train_hall.build()")
    parser.add_argument("--records", required=True, help="where to write every request")
    parser.add_argument("--own-share", type=float, default=0.2,
                        help="share of trainers who start settings of their own")


@events.init.add_listener
def _load(environment, **_):
    SCENARIO.update(json.loads(Path(environment.parsed_options.scenarios).read_text()))


@events.quitting.add_listener
def _write(environment, **_):
    with open(environment.parsed_options.records, "w", encoding="utf-8") as out:
        json.dump({"records": RECORDS, "milestones": MILESTONES}, out)


class Tab(User):
    abstract = True

    def on_start(self):
        address = urlsplit(self.host)
        self.base = self.host.rstrip("/")
        self.browser = Browser(address.hostname, address.port or 80)
        BROWSERS.append(self.browser)
        self.user = next(USERS)
        # one client address per user, as a hall's laptops have (the server trusts one proxy)
        self.address = f"10.{self.user // 65536 % 256}.{self.user // 256 % 256}.{self.user % 256}"

    def on_stop(self):
        self.browser.close()

    def send(self, name, method, path, body=None):
        headers = {**JSON_POST, "X-Forwarded-For": self.address} if body is not None else \
            {"X-Forwarded-For": self.address}
        data = json.dumps(body).encode() if body is not None else None
        got = timed_request(self.browser, method, path, data, headers)
        RECORDS.append((got.started, name, got.ms, got.status, got.error, got.resent, self.user,
                        len(got.content)))
        self.environment.events.request.fire(
            request_type=method, name=name, response_time=got.ms, response_length=len(got.content),
            exception=RuntimeError(got.error) if got.error else None, context={})
        return got.content if got.error is None else None


class Trainer(Tab):
    weight = 1  # every user beyond the movers

    def on_start(self):
        super().on_start()
        own = random.random() < self.environment.parsed_options.own_share
        self.body = json.loads(json.dumps(SCENARIO["own" if own else "preset"]))
        if own:  # settings of one's own: another seed, so another run
            for item in self.body["state"]:
                if item["id"] == "train-ff-seed":
                    item["value"] = random.randrange(1, 10000)
        self.tab = f"{random.getrandbits(128):032x}"
        self.ref, self.n = None, {"train-start": 0, "train-stop": 0, "train-poll": 0}
        self.milestone = {"user": self.user, "kind": "own" if own else "preset"}
        self.send("GET /train", "GET", SCENARIO["url"])
        self.send("POST render /train", "POST", "/_dash-update-component", SCENARIO["router"])
        self.press("train-start", "n_clicks", "POST start")
        MILESTONES.append(self.milestone)

    def press(self, component: str, prop: str, name: str):
        self.n[component] += 1
        body = json.loads(json.dumps(self.body))
        for part in ("inputs", "state"):
            for item in body[part]:
                if item["id"] in self.n:
                    item["value"] = self.n[item["id"]]
                elif item["id"] == "train-tab":
                    item["value"] = self.tab
                elif item["id"] == "train-run-ref":
                    item["value"] = self.ref
        body["changedPropIds"] = [f"{component}.{prop}"]
        self.milestone.setdefault("start", time.time())
        content = self.send(name, "POST", "/_dash-update-component", body)
        if content:
            out = json.loads(content)["response"]
            self.seen(out["train-run-ref"]["data"], out["train-progress-text"]["children"],
                      out["train-poll"]["disabled"])

    def seen(self, ref, text: str, ended: bool):
        done = time.time()
        self.ref = ref
        self.milestone.setdefault("feedback", done)  # a queue position or progress: seen
        if "steps done" in text or text.startswith(("Done", "Stopped at")):
            self.milestone.setdefault("running", done)
        self.milestone["last"] = text[:80]
        if ended:
            self.milestone.setdefault("ended", done)

    @task
    def poll(self):
        started = time.monotonic()
        if self.ref is not None:
            query = urlencode({"run": self.ref["id"], "tab": self.tab, "have": self.ref["version"],
                               "seen": json.dumps(self.ref["seen"])})
            content = self.send("GET poll", "GET", "/runs/poll?" + query)
            if content:  # 204 (nothing new) has no body
                news = json.loads(content)
                out = news["out"]
                if news["figures"]:
                    self.send("GET figures", "GET", news["figures"])
                self.seen(out[RUN_REF], out[PROGRESS_TEXT], out[POLL_DISABLED] is True)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))


class Mover(Tab):
    fixed_count = int(os.environ.get("GRADLAB_BENCH_MOVERS", "20"))

    def on_start(self):
        super().on_start()
        self.state = json.loads(json.dumps(SCENARIO["chain"]))
        self.send("GET /chain", "GET", "/chain")

    @task
    def move(self):
        started = time.monotonic()
        sliders = SCENARIO["chain_sliders"]
        slider = random.choice(list(sliders))
        for item in self.state["inputs"]:
            if item["id"] == slider:
                item["value"] = random.choice(sliders[slider])
        self.state["changedPropIds"] = [f"{slider}.value"]
        self.send("POST move /chain", "POST", "/_dash-update-component", self.state)
        time.sleep(max(0.0, random.uniform(0.8, 1.2) - (time.monotonic() - started)))
