"""One browser tab on /train, driven as the page drives it: Start and Stop through the real
callback endpoint (its controls' values from the page's own layout, its own tab id, one client
address), the poll through the two GETs that assets/gradlab.js makes (runs/poll, then the new
snapshot's figures, given the page's look). Used by the app tests (a Flask test client) and
the deploy tests (a server's URL). Every answer is parsed strictly, as the browser's JSON.parse
does: a NaN or Infinity token in a poll or a snapshot's figures fails the test."""
import json
import secrets
import time
from urllib.parse import urlencode

import psutil
import requests
from plotly.utils import PlotlyJSONEncoder

from app.pages.train import ids
from app.pages.train import page as train
from tests.dash_client import control_values, payload, post, strict_loads


def control_store(layout, store_id: str):
    from components.layout import walk
    return next(c.data for c in walk(layout) if getattr(c, "id", None) == store_id)


def text(component) -> str:
    plain = json.loads(json.dumps(component, cls=PlotlyJSONEncoder))
    return json.dumps(plain, ensure_ascii=False)


class Tab:
    """One browser tab on /train?query, talking to the real callback endpoint as the page does
    (its controls' values from the page's own layout, its own tab id, one client address)."""

    def __init__(self, client, query: dict, address: str = "127.0.0.1", referer: str = ""):
        """`client`: a Flask test client, or the base URL of a running server; `referer`: the
        page URL the requests come from (its look flags)."""
        self.client, self.address, self.referer = client, address, referer
        self.values = {k: v for k, v in control_values(train.layout(
            **{k: str(v) for k, v in query.items()})).items() if k != ids.SLIDER}
        self.tab, self.ref, self.out = secrets.token_hex(16), None, {}
        self.clicks = {ids.START: 0, ids.STOP: 0}
        self.unchanged = 0  # polls answered 204
        self.template = control_store(train.layout(**{k: str(v) for k, v in query.items()}),
                                      ids.TEMPLATE)
        deps = (requests.get(client + "/_dash-dependencies", timeout=30).json()
                if isinstance(client, str) else client.get("/_dash-dependencies").get_json())
        self.spec = next(d for d in deps if d["inputs"] and d["inputs"][0]["id"] == ids.START)

    def send(self, trigger: str, prop: str) -> dict:
        self.clicks[trigger] += 1
        values = {**self.values, **self.clicks, ids.TAB: self.tab, ids.RUN: self.ref}
        body = payload(self.spec, values, changed=f"{trigger}.{prop}")
        if isinstance(self.client, str):  # a real server behind one trusted proxy
            answer = requests.post(self.client + "/_dash-update-component", json=body,
                                   headers={"X-Forwarded-For": self.address,
                                            "Referer": self.referer}, timeout=60)
            status = answer.status_code
            response = strict_loads(answer.content) if status == 200 else answer.text
        else:
            status, response, _ = post(self.client, body, environ={
                "REMOTE_ADDR": self.address, "HTTP_REFERER": self.referer})
        assert status == 200, response
        self.out = {k: v for k, v in response["response"].items()}
        self.ref = self.out[ids.RUN]["data"]
        return self.out

    def get(self, path: str) -> tuple[int, bytes]:
        if isinstance(self.client, str):
            answer = requests.get(self.client + path, timeout=60,
                                  headers={"X-Forwarded-For": self.address})
            return answer.status_code, answer.content
        answer = self.client.get(path, environ_base={"REMOTE_ADDR": self.address})
        return answer.status_code, answer.get_data()

    def poll(self):
        """What pollRun (assets/gradlab.js) does on a tick."""
        if not (self.ref and self.ref.get("id")):
            return self.out  # no run to follow: the tick does nothing
        query = urlencode({"run": self.ref["id"], "tab": self.tab or "",
                           "have": self.ref["version"], "seen": json.dumps(self.ref["seen"])})
        status, body = self.get(f"/runs/poll?{query}")
        if status == 204:  # nothing new since the last poll: the page keeps what it shows
            self.unchanged += 1
            return self.out
        assert status == 200, body
        news = strict_loads(body)  # as assets/gradlab.js reads it: NaN or Infinity fails
        out = [None if isinstance(v, dict) and v.get("__no_update__") else v
               for v in news["out"]]
        if news["figures"]:
            status, body = self.get(news["figures"])
            if status == 200:
                for i, figure in enumerate(strict_loads(body)):
                    figure["layout"]["template"] = self.template
                    out[i] = figure
            else:
                out[-1] = {**(out[-1] or {}), "version": self.ref["version"]}
        for output, value in zip(train.RUN_OUTPUTS, out):
            if value is not None:
                self.out.setdefault(output.component_id, {})[output.component_property] = value
            elif output.component_id == ids.RUN:
                self.out[ids.RUN] = {"data": None}
        self.ref = self.out[ids.RUN]["data"]
        return self.out

    def start(self):
        return self.send(ids.START, "n_clicks")

    def stop(self):
        return self.send(ids.STOP, "n_clicks")

    def progress(self) -> str:
        return self.out[ids.PROGRESS_TEXT]["children"]

    def info(self) -> str:
        return self.out[ids.RUN_INFO]["children"]

    def status(self) -> str:
        return text(self.out[ids.RUN_STATUS]["children"])

    def polling(self) -> bool:
        return not self.out[ids.POLL]["disabled"]

    def until(self, predicate, timeout: float = 60, what: str = ""):
        deadline = time.monotonic() + timeout
        while not predicate(self):
            assert time.monotonic() < deadline, f"{what}: {self.progress()} {self.status()}"
            time.sleep(0.25)
            self.poll()
        return self


def run_processes() -> list[psutil.Process]:
    """The training run processes this test session started (the pool is a child of this
    process): not those of another checkout's tests running on the same machine."""
    found = []
    for p in psutil.Process().children(recursive=True):
        try:
            cmd = p.cmdline()
        except psutil.Error:  # ended meanwhile
            continue
        if "app.runs.worker" in cmd:
            found.append(p)
    return found
