"""A hall presses Start: N students arrive within 10 s, 80 % press Start on the preset the
lecturer named and 20 % on settings of their own, all keep polling their run like the page
does, while a fixed group of other students keeps moving sliders on /chain.

    python -m bench.load.train_hall                      # N = 50, 150, 300, local pool
    python -m bench.load.train_hall --executor celery    # the same on one local Celery worker
    python -m bench.load.train_hall --users 50 --duration 30

For each N the server is fresh (`gunicorn -c gunicorn.conf.py app:server`, the image's command,
with GRADLAB_TRUSTED_PROXIES=1 so each simulated laptop has its own address); a quiet run with
the slider movers alone comes first, in the same invocation, as the baseline. Sampled every
half second: the server's training processes (local pool) or the Celery worker's, and the
resident memory of every process of the server (and of the Celery worker). Reported: peak
training processes and memory, the queue wait (Start → first steps done) p50/p95 of the
trainers whose run started, the share who saw a queue position or progress within 2 s of
pressing Start, the slider moves' p95 quiet and during the storm, and failed requests.
Results go to bench/results/train-hall-<time>/.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import psutil

from bench.load.runner import LOCUST, WARMED, ensure_load_venv, run_all, start_redis, stop_group
from tests.deploy.conftest import ROOT, Server, clean_env, free_port, gunicorn_command

HERE = Path(__file__).resolve().parent
PRESET = "vanishing"  # what the lecturer says to run
MOVERS = 20
CHAIN_SLIDERS = {"chain-w": [round(0.01 * i, 2) for i in range(201)],  # cold: ~38 000 states
                 "chain-n": list(range(10, 201))}


def build(path: Path) -> None:
    """The requests, built through the app's own test client (so the server sees none)."""
    os.environ["GRADLAB_CACHE_SIZE"] = "0"
    os.environ.setdefault("GRADLAB_CACHE_DIR", str(path.parent / "build-cache"))
    from app import server
    from app.pages.train import params
    from bench.load.scenarios import component_values
    from tests.dash_client import payload, post
    from tests.dash_client import router_body
    from tests.train_tab import Tab
    client = server.test_client()
    client.get("/")
    query = dict(pair.split("=") for pair in params.preset_query(PRESET)[1:].split("&"))
    preset, own = Tab(client, query), Tab(client, {"kind": "ff"})
    start = {name: payload(tab.spec, {**tab.values, "train-tab": "0" * 32},
                           changed="train-start.n_clicks") for name, tab in
             (("preset", preset), ("own", own))}
    deps = client.get("/_dash-dependencies").get_json()
    status, rendered, _ = post(client, router_body("/chain", ""))
    spec = next(d for d in deps if d["inputs"] and d["inputs"][0]["id"] == "chain-w")
    chain = payload(spec, component_values(rendered))
    url = "/train" + params.preset_query(PRESET)
    router = router_body("/train", params.preset_query(PRESET))
    router["changedPropIds"] = []
    path.write_text(json.dumps({"url": url, "router": router, **start, "chain": chain,
                                "chain_sliders": CHAIN_SLIDERS}))


class Sampler(threading.Thread):
    """Every half second: the training processes and the memory of everything the server
    (and the Celery worker) runs."""

    def __init__(self, server: int, celery: int | None):
        super().__init__(daemon=True)
        self.roots = [server] + ([celery] if celery else [])
        self.celery, self.samples, self.stopped = celery, [], threading.Event()
        self.cpu: dict[int, tuple[str, float]] = {}  # pid → (kind, CPU seconds so far)

    def run(self):
        while not self.stopped.wait(0.5):
            procs = []
            for root in self.roots:
                try:
                    top = psutil.Process(root)
                    procs += [top, *top.children(recursive=True)]
                except psutil.Error:
                    pass
            runs, rss, cpu = 0, 0, {"web": 0.0, "runs": 0.0}
            for p in procs:
                try:
                    cmd = " ".join(p.cmdline())
                    rss += p.memory_info().rss
                    times = p.cpu_times()
                except psutil.Error:
                    continue
                # a local run process, or one of the Celery worker's pool processes
                is_run = "app.runs.worker" in cmd or bool(self.celery and p.ppid() == self.celery)
                runs += is_run
                cpu["runs" if is_run else "web"] += times.user + times.system
                self.cpu[p.pid] = ("runs" if is_run else "web", times.user + times.system)
            self.samples.append((time.time(), runs, rss / 2**20))

    def cores(self, seconds: float) -> dict:
        """Cores used on average by the web processes and by the training runs."""
        used = {"web": 0.0, "runs": 0.0}
        for kind, total in self.cpu.values():
            used[kind] += total
        return {k: round(v / seconds, 2) for k, v in used.items()}


def start_server(run_dir: Path, env: dict) -> Server:
    port = free_port()
    server = Server(gunicorn_command(), clean_env(
        PORT=port, HOST="127.0.0.1", GRADLAB_CACHE_DIR=run_dir / "cache",
        GRADLAB_TRUSTED_PROXIES=1, **env), run_dir / "server.log", port)
    server.wait_listening().wait_log(WARMED, 2).wait_healthy()
    return server


def start_celery(run_dir: Path, broker: str) -> subprocess.Popen:
    log = open(run_dir / "celery.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen([str(Path(sys.executable).with_name("celery")), "-A",
                             "app.runs.celery_app", "worker", "--concurrency",
                             str(len(os.sched_getaffinity(0))), "--loglevel", "WARNING"],
                            cwd=ROOT, env=clean_env(GRADLAB_CELERY_BROKER=broker),
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + 90
    while b"ready" not in (run_dir / "celery.log").read_bytes() and proc.poll() is None:
        if time.time() > deadline:
            break
        time.sleep(0.3)
    time.sleep(2)
    return proc


LOCUST_PIDS: list[int] = []


def run_locust(args, scenarios: Path, run_dir: Path, server: Server, users: int) -> dict:
    records = run_dir / "records.json"
    command = [str(LOCUST), "-f", str(HERE / "train_locustfile.py"), "--headless",
               "-u", str(users + MOVERS), "-r", f"{(users + MOVERS) / args.spawn:.3f}",
               "-t", f"{args.duration}s", "--stop-timeout", "10", "--host", server.url,
               "--only-summary", "--scenarios", str(scenarios), "--records", str(records),
               "--own-share", str(args.own_share)]
    with open(run_dir / "locust.log", "wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "GRADLAB_BENCH_MOVERS": str(MOVERS)},
                                start_new_session=True)
        LOCUST_PIDS.append(proc.pid)
        cpu = None
        try:
            started = time.time()
            while proc.poll() is None and time.time() < started + args.duration + 120:
                try:
                    times = psutil.Process(proc.pid).cpu_times()
                    cpu = (times.user + times.system, time.time() - started)
                except psutil.Error:
                    pass
                time.sleep(0.5)
        finally:
            stop_group(proc)
    data = json.loads(records.read_text())
    data["locust_cores"] = round(cpu[0] / cpu[1], 2) if cpu else None
    return data


def p(values, q):
    return round(float(np.percentile(values, q)), 1) if len(values) else None


def summarise(data: dict, samples: list, started: float, duration: float) -> dict:
    recs = data["records"]  # (start, name, ms, status, error, resent, user, bytes)
    moves = [r[2] for r in recs if r[1] == "POST move /chain"]
    begin = min((r[0] for r in recs), default=0.0)  # after the arrivals (spawn + 10 s)
    settled = [r[2] for r in recs if r[1] == "POST move /chain" and r[0] > begin + 20]
    failed = [r for r in recs if r[4]]
    ms = data["milestones"]
    waits = [m["running"] - m["start"] for m in ms if "running" in m and "start" in m]
    feedback = [m["feedback"] - m["start"] for m in ms if "feedback" in m]
    late = sum(1 for m in ms if "feedback" not in m or m["feedback"] - m["start"] > 2.0)
    polls = [r[2] for r in recs if r[1] in ("GET poll", "GET figures", "POST start")]
    return {
        "requests": len(recs), "failures": len(failed),
        "failure_kinds": sorted({f"{r[1]}: {r[4]}" for r in failed})[:5],
        "moves": len(moves), "moves_p50": p(moves, 50), "moves_p95": p(moves, 95),
        "settled_p95": p(settled, 95),
        "trainers": len(ms), "own": sum(m["kind"] == "own" for m in ms),
        "started_running": len(waits), "wait_p50": p(waits, 50), "wait_p95": p(waits, 95),
        "feedback_p95_s": p(feedback, 95), "feedback_over_2s": late,
        "train_requests_p95": p(polls, 95),
        "peak_runs": max((s[1] for s in samples), default=0),
        "peak_mb": round(max((s[2] for s in samples), default=0.0)),
        "base_mb": round(samples[0][2]) if samples else 0,
        "last": sorted({m.get("last", "")[:30] for m in ms})[:6],
    }


def one(args, scenarios: Path, out: Path, users: int) -> dict:
    name = f"{args.executor}-{users}"
    run_dir = out / name
    run_dir.mkdir()
    redis = celery = server = None
    try:
        env = {}
        if args.executor == "celery":
            redis = start_redis(run_dir)
            env["GRADLAB_CELERY_BROKER"] = f"redis://127.0.0.1:{redis.port}/0"
            celery = start_celery(run_dir, env["GRADLAB_CELERY_BROKER"])
        server = start_server(run_dir, env)
        sampler = Sampler(server.proc.pid, celery.pid if celery else None)
        sampler.start()
        started = time.time()
        print(f"--- {name}: {users} trainers + {MOVERS} slider movers for {args.duration} s",
              flush=True)
        data = run_locust(args, scenarios, run_dir, server, users)
        sampler.stopped.set()
        sampler.join()
        result = summarise(data, sampler.samples, started, args.duration)
        result["cores"] = sampler.cores(time.time() - started)
        result["cores"]["locust"] = data["locust_cores"]
    finally:
        for proc in (server,):
            if proc is not None:
                proc.stop()
        if celery is not None:
            stop_group(celery)
        if redis is not None:
            redis.stop()
    result.update(name=name, users=users, executor=args.executor)
    (run_dir / "result.json").write_text(json.dumps(result, indent=1))
    print(f"--- {name}: {json.dumps(result)}", flush=True)
    return result


def report(results: list[dict], args) -> str:
    quiet = next(r for r in results if r["users"] == 0)
    lines = [f"Hall presses Start ({args.executor}): trainers arrive within {args.spawn} s, "
             f"{round(100 * (1 - args.own_share))} % on the preset `{PRESET}`, the rest on "
             f"settings of their own; {MOVERS} other users move /chain sliders to values "
             f"nobody asked before (cold); {args.duration} s per run; pool of "
             f"{len(os.sched_getaffinity(0))}; {datetime.now():%Y-%m-%d %H:%M}.", "",
             "| trainers | peak training processes | peak MB (base) | queue wait p50 / p95 s "
             "(started of all) | saw position or progress > 2 s | slider moves p95 ms "
             "(quiet ×) | after the arrivals (quiet ×) | cores: web / runs / load generator | "
             "failed requests |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        ratio = (r["moves_p95"] / quiet["moves_p95"]) if quiet["moves_p95"] else float("nan")
        settled = (r["settled_p95"] / quiet["settled_p95"]) if quiet["settled_p95"] else float("nan")
        lines.append(
            f"| {r['users']} | {r['peak_runs']} | {r['peak_mb']} ({r['base_mb']}) | "
            f"{r['wait_p50']} / {r['wait_p95']} ({r['started_running']} of {r['trainers']}) | "
            f"{r['feedback_over_2s']} | {r['moves_p95']} ({ratio:.2f}×) | "
            f"{r['settled_p95']} ({settled:.2f}×) | "
            f"{r['cores']['web']} / {r['cores']['runs']} / {r['cores']['locust']} | "
            f"{r['failures']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="50,150,300")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--spawn", type=float, default=10)
    parser.add_argument("--own-share", type=float, default=0.2)
    parser.add_argument("--executor", choices=("local", "celery"), default="local")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    out = (args.out or ROOT / "bench" / "results" /
           f"train-hall-{args.executor}-{datetime.now():%Y%m%d-%H%M%S}").resolve()
    out.mkdir(parents=True)
    ensure_load_venv()
    build(out / "scenarios.json")
    users = [0] + [int(u) for u in args.users.split(",") if u]
    return run_all(out, users, lambda n: one(args, out / "scenarios.json", out, n),
                   lambda results: report(results, args))


if __name__ == "__main__":
    sys.exit(main())
