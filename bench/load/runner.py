"""Load and fault runs: a lecture hall of locust users against gunicorn with the deployment's
own configuration, on loopback.

    python -m bench.load                          # 50, 150, 300 users × 60 s, then 300 + a kill
    python -m bench.load --cache off,lru,redis    # the same for each cache mode
    python -m bench.load --users 50 --duration 20 --kill-users 0
    python -m bench.load --explore --kill-users 0  # the explorer hall: no two moves alike

The scenario (bench/load/locustfile.py): each user opens a page from a preset link (the page,
/_dash-layout, /_dash-dependencies, the page router's render and the page callback's initial
call), then releases a slider about once a second at one of a few values, so many users ask
the same question, as a lecture hall following the lecturer does; now and then it opens another
preset page. Users arrive over the first --spawn seconds. The requests are built here, in the
main environment, through the app's Flask test client (bench/load/scenarios.py), and handed
to locust, which lives in its own environment, .venv-load/ (bench/requirements-load.txt,
created on first use: locust needs urllib3 2, the browser tests' selenium pins urllib3 1.26).

Each run gets a fresh server, `gunicorn -c gunicorn.conf.py app:server` from the repository
root with the environment the image has (only PORT, HOST=127.0.0.1 and a private
GRADLAB_CACHE_DIR added), so every run starts as a lecture does, with cold caches:
  off    GRADLAB_CACHE_SIZE=0: every request computes;
  lru    the app's default per-worker cache (or --cache-size entries);
  redis  the per-worker cache in front of a shared one: a redis-server started for the run on a
         free loopback port (no persistence) and GRADLAB_CACHE_REDIS_URL pointing at it.

Kill run: at --kill-at seconds into a --kill-users run the gunicorn worker that holds the
most client connections (a child of the master, found through /proc) gets SIGKILL. Reported:
the failed requests of that run, whether the master forked a replacement and when it was warm
(its warm-up log line), and that two workers and /healthz answer at the end.

What counts as a failed request (bench/load/browser.py): every user is one browser tab on one
keep-alive connection and follows a browser's rules for a connection that died, no more:
an idle connection the server has closed is replaced before use (Chromium and urllib3 check
this), and a request whose *reused* connection dies before any response header arrives is
resent once on a new connection (Chromium's ShouldResendRequest; Firefox does the same). That
is what happens to the requests queued on, or idling in, the killed worker's kept-alive
connections: the table counts the resent ones under "resent" (a client without these rules
would count them, and the replaced idle connections, as failures). A request that fails on a
new connection, after its response headers, by timeout (60 s) or with an HTTP error status is
a failure. Modelling limit: at one move a second a user's connection never idles past
gunicorn's 2 s keep-alive, so it stays with the worker that accepted it for the whole run;
real students pause longer and reconnect, which spreads them over the workers again.

Columns: percentiles of every request of the run (arrivals, page opens and slider moves
alike), computed here from the per-request records; "moves" are the slider requests alone;
"2nd half" the requests started in the second half of the run, after the arrivals; "questions"
distinct callback inputs / callback requests (the share a perfect shared cache would still
compute); "server CPU ms/req" the CPU time of the master and workers per request, and "cores"
the cores used by the server, the load generator and everything else on the machine (the
machine is shared: read the latencies with that column). Everything goes to
bench/results/load-<time>/ (summary.md, results.json, scenarios, records and the server, Redis
and locust logs); `--report <folder>` recomputes the summary from them. Every process started
here is stopped at the end of its run, also on an error or Ctrl-C.

Why one long module (~480 lines): it owns a load run end to end (servers, locust, the worker
kill, the report), and those steps share the run's state; the scenarios and the locust users
are in their own modules.
"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import requests

from bench.load.proc import children, connections, cpu_seconds, machine_busy_seconds
from tests.deploy.conftest import ROOT, Server, clean_env, free_port, gunicorn_command

HERE = Path(__file__).resolve().parent
VENV = ROOT / ".venv-load"
REQUIREMENTS = ROOT / "bench" / "requirements-load.txt"
LOCUST = VENV / "bin" / "locust"
WARMED = r"GradLab warm-up: GET \S+ -> 200 \(pid (\d+)\)"
CACHE_MODES = ("off", "lru", "redis")


# --- environments and processes ----------------------------------------------------------------

def ensure_load_venv() -> Path:
    """.venv-load/ with the pinned locust; created (or repaired) when missing or different."""
    pinned = re.search(r"^locust==(\S+)", REQUIREMENTS.read_text(), re.MULTILINE).group(1)
    if LOCUST.exists():
        version = subprocess.run([str(LOCUST), "--version"], check=False, capture_output=True,
                                 text=True, timeout=120).stdout
        if f"locust {pinned} " in version:
            return LOCUST
    print(f"creating {VENV.relative_to(ROOT)}/ (locust {pinned}) ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True, timeout=300)
    subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)],
                   check=True, timeout=1800)
    return LOCUST


def build_scenarios(path: Path) -> list[dict]:
    """The users' requests, built and checked in this process (never on the server under
    test). This process's own app neither caches nor shares: it must not warm anything."""
    os.environ["GRADLAB_CACHE_SIZE"] = "0"
    os.environ.pop("GRADLAB_CACHE_REDIS_URL", None)
    os.environ.setdefault("GRADLAB_CACHE_DIR", str(path.parent / "build-cache"))
    from app import server
    from bench.load.scenarios import build
    scenarios = build(server.test_client())
    path.write_text(json.dumps(scenarios), encoding="utf-8")
    return scenarios


class LogTail:
    """New text of a growing log file since the last call (a load run logs every request)."""

    def __init__(self, path: Path):
        self.path, self.offset = path, 0

    def read(self) -> str:
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            data = log.read()
        self.offset += len(data)
        return data.decode("utf-8", "replace")


def start_redis(run_dir: Path) -> Server:
    port = free_port()
    command = [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
    return Server(command, clean_env(), run_dir / "redis.log", port).wait_listening(30)


def start_gunicorn(run_dir: Path, mode: str, cache_size: int | None, redis: Server | None,
                   gunicorn_args: str = "") -> Server:
    env = {"PORT": free_port(), "HOST": "127.0.0.1", "GRADLAB_CACHE_DIR": run_dir / "cache"}
    if gunicorn_args:  # experiments only: gunicorn lets these override gunicorn.conf.py
        env["GUNICORN_CMD_ARGS"] = gunicorn_args
    if mode == "off":
        env["GRADLAB_CACHE_SIZE"] = 0
    elif cache_size is not None:
        env["GRADLAB_CACHE_SIZE"] = cache_size
    if redis is not None:
        env["GRADLAB_CACHE_REDIS_URL"] = f"redis://127.0.0.1:{redis.port}/0"
    server = Server(gunicorn_command(), clean_env(**env), run_dir / "server.log", env["PORT"])
    try:  # ready = listening, both workers warmed, /healthz answers
        server.wait_listening().wait_log(WARMED, 2).wait_healthy()
    except BaseException:
        server.stop()
        raise
    return server


def sleep_until(moment: float, proc: subprocess.Popen) -> None:
    """Sleep until the wall-clock `moment`, or until `proc` has exited."""
    while time.time() < moment and proc.poll() is None:
        time.sleep(min(0.2, max(0.0, moment - time.time())))


def stop_group(proc: subprocess.Popen) -> None:
    """Stop a process started in its own session, and its children."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


# --- one run -------------------------------------------------------------------------------------

def kill_and_watch(server: Server, tail: LogTail, deadline: float) -> dict:
    """SIGKILL the worker holding the most client connections; follow the master until the
    replacement is warm (or `deadline`)."""
    master = server.proc.pid
    before = children(master)
    held = connections(before, server.port)
    victim = max(before, key=held.get)
    os.kill(victim, signal.SIGKILL)
    killed = time.time()
    event = {"killed_pid": victim, "killed_at": killed, "workers_before": len(before),
             "connections_before": {str(pid): n for pid, n in held.items()}}
    while time.time() < deadline and "warm_s" not in event:
        time.sleep(0.1)
        new = children(master) - before
        if new and "forked_s" not in event:
            event["new_pid"], event["forked_s"] = min(new), round(time.time() - killed, 2)
        for pid in re.findall(WARMED, tail.read()):
            if int(pid) == event.get("new_pid"):
                event["warm_s"] = round(time.time() - killed, 2)
    return event


def cpu_snapshot(server: Server, locust: subprocess.Popen) -> dict:
    master = server.proc.pid
    workers = {pid: cpu_seconds(pid) for pid in children(master)}
    return {"t": time.monotonic(), "machine": machine_busy_seconds(),
            "server": cpu_seconds(master) + sum(workers.values()), "workers": workers,
            "connections": connections(workers, server.port), "locust": cpu_seconds(locust.pid)}


def cpu_cores(start: dict, end: dict) -> dict:
    """Cores used on average between two snapshots: by the server (master and workers), by
    the load generator, and by everything else on the machine."""
    seconds = end["t"] - start["t"]
    used = {k: round((end[k] - start[k]) / seconds, 2) for k in ("machine", "server", "locust")}
    used["other"] = round(used["machine"] - used["server"] - used["locust"], 2)
    # per worker alive throughout: its cores, and the client connections it held at the end
    used["per_worker"] = {str(pid): [round((end["workers"][pid] - cpu) / seconds, 2),
                                     end["connections"][pid]]
                          for pid, cpu in start["workers"].items() if pid in end["workers"]}
    return used


def run_locust(args, scenarios_path: Path, run_dir: Path, server: Server, users: int,
               kill_at: float | None) -> dict:
    records_path = run_dir / "records.json"
    command = [str(LOCUST), "-f", str(HERE / "locustfile.py"), "--headless",
               "-u", str(users), "-r", f"{users / args.spawn:.3f}", "-t", f"{args.duration}s",
               "--stop-timeout", "30", "--host", server.url, "--only-summary",
               "--loglevel", "INFO", "--scenarios", str(scenarios_path),
               "--records", str(records_path), "--pacing", str(args.pacing),
               "--nav-every", str(args.nav_every), *(["--assets"] if args.assets else []),
               *(["--explore"] if args.explore else [])]
    log = open(run_dir / "locust.log", "wb")  # noqa: SIM115  closed below
    proc = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    event = None
    try:
        locust_log = LogTail(run_dir / "locust.log")
        started = time.time() + 30  # until locust says it starts its users
        while "Ramping to" not in locust_log.read():
            if proc.poll() is not None or time.time() > started:
                raise RuntimeError("locust did not start:\n"
                                   + (run_dir / "locust.log").read_text()[-3000:])
            time.sleep(0.1)
        started = time.time()
        cpu_start = cpu_snapshot(server, proc)
        if kill_at is not None:
            tail = LogTail(server.log_path)
            sleep_until(started + kill_at, proc)
            event = kill_and_watch(server, tail, deadline=started + args.duration)
            event["killed_at_s"] = round(event["killed_at"] - started, 1)
        sleep_until(started + args.duration - 0.5, proc)
        cpu = cpu_cores(cpu_start, cpu_snapshot(server, proc))
        proc.wait(timeout=max(0.0, started + args.duration + 90 - time.time()))
    finally:
        stop_group(proc)
        log.close()
    if not records_path.exists():
        raise RuntimeError(f"locust wrote no records:\n{(run_dir / 'locust.log').read_text()[-3000:]}")
    data = json.loads(records_path.read_text())
    result = summarise(data, args.duration)
    result["cores"] = cpu
    result["locust_warnings"] = sorted(set(re.findall(
        r"(CPU usage above \d+%[^\n]*|[A-Z][a-z]+Error[^\n]*)", (run_dir / "locust.log").read_text())))[:5]
    if event is not None:  # failed requests that ended in the 15 s after the kill
        ends = [r[0] + r[2] / 1e3 for r in data["records"] if r[4]]
        event["failures_within_15s"] = sum(1 for t in ends
                                           if 0 <= t - event["killed_at"] <= 15)
        result["kill"] = event
    return result


def summarise(data: dict, duration: float) -> dict:
    records = data["records"]  # (start, name, ms, status, error, resent, question, bytes)
    ms = np.array([r[2] for r in records]) if records else np.zeros(1)
    moves = np.array([r[2] for r in records if r[1].startswith("POST move")] or [0.0])
    begin = min((r[0] for r in records), default=0.0)  # the second half: after the arrivals
    steady = np.array([r[2] for r in records if r[0] >= begin + duration / 2] or [0.0])
    asked = [r[6] for r in records if r[6] is not None]
    failures: dict[str, int] = {}
    for r in records:
        if r[4]:
            key = f"{r[1]}: {r[4][:120]}"
            failures[key] = failures.get(key, 0) + 1
    failed = sum(failures.values())

    def p(values, q):
        return round(float(np.percentile(values, q)), 1)
    return {
        "requests": len(records), "failures": failed,
        "failure_pct": round(100 * failed / max(1, len(records)), 3),
        "p50": p(ms, 50), "p95": p(ms, 95), "p99": p(ms, 99), "max": round(float(ms.max()), 1),
        "moves": len(moves), "moves_p50": p(moves, 50), "moves_p95": p(moves, 95),
        "steady_p50": p(steady, 50), "steady_p95": p(steady, 95), "steady_p99": p(steady, 99),
        "rps": round(len(records) / duration, 1),
        "resent": sum(1 for r in records if r[5]), "stale": data["counters"]["stale"],
        "connections": data["counters"]["connections"],
        "megabytes": round(sum(r[7] for r in records) / 1e6, 1),
        "questions": round(len(set(asked)) / max(1, len(asked)), 3),
        "failure_kinds": dict(sorted(failures.items(), key=lambda kv: -kv[1])[:8]),
    }


def server_findings(server: Server) -> dict:
    text = server.log()
    statuses = re.findall(r'" (\d{3}) (?:\d+|-) "', text)
    return {
        "5xx": sum(1 for s in statuses if s.startswith("5")),
        "4xx": sum(1 for s in statuses if s.startswith("4")),
        "tracebacks": text.count("Traceback"),
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "sigkill_logged": "was sent SIGKILL" in text,
    }


def redis_stats(redis: Server) -> dict:
    """Keys stored and lookups answered by the shared cache during the run."""
    answer = subprocess.run([shutil.which("redis-cli") or "redis-cli", "-p", str(redis.port),
                             "info", "stats"], check=False, capture_output=True, text=True,
                            timeout=10).stdout
    stats = dict(re.findall(r"^(keyspace_hits|keyspace_misses):(\d+)", answer, re.MULTILINE))
    keys = subprocess.run([shutil.which("redis-cli") or "redis-cli", "-p", str(redis.port),
                           "dbsize"], check=False, capture_output=True, text=True, timeout=10)
    return {"hits": int(stats.get("keyspace_hits", 0)),
            "misses": int(stats.get("keyspace_misses", 0)),
            "keys": int(keys.stdout.strip() or 0)}


def one_run(args, scenarios_path: Path, out: Path, mode: str, users: int, kill: bool) -> dict:
    name = f"{mode}-{users}{'-kill' if kill else ''}"
    run_dir = out / name
    run_dir.mkdir()
    print(f"--- {name}: starting server ...", flush=True)
    redis = server = None
    try:
        redis = start_redis(run_dir) if mode == "redis" else None
        server = start_gunicorn(run_dir, mode, args.cache_size, redis, args.gunicorn_args)
        print(f"--- {name}: {users} users for {args.duration} s", flush=True)
        result = run_locust(args, scenarios_path, run_dir, server, users,
                            args.kill_at if kill else None)
        if kill:
            master = server.proc.pid
            result["kill"]["workers_after"] = len(children(master))
            result["kill"]["healthz_after"] = requests.get(server.url + "/healthz",
                                                           timeout=10).status_code
            result["kill"]["killed_pid_gone"] = result["kill"]["killed_pid"] not in children(master)
        result["server"] = server_findings(server)
        if redis is not None:
            result["redis"] = redis_stats(redis)
    finally:
        if server is not None:
            server.stop()
        if redis is not None:
            redis.stop()
    result.update(mode=mode, users=users, kill=result.get("kill"), name=name,
                  duration=args.duration)
    (run_dir / "result.json").write_text(json.dumps(result, indent=1))
    print(f"--- {name}: {row(result)}", flush=True)
    return result


# --- report --------------------------------------------------------------------------------------

HEADER = ("| cache | users | requests | p50 ms | p95 ms | p99 ms | failures | failure % | rps "
          "| moves p50 / p95 ms | 2nd half p50 / p95 / p99 ms | resent | questions "
          "| server CPU ms/req | cores: server / locust / other |\n"
          "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")


def run_all(out: Path, runs: list, run, summarise_all) -> int:
    """Each of `runs` in turn through `run`, results.json rewritten after each (an interrupted
    benchmark keeps what it measured), then `summarise_all(results)` to summary.md and
    stdout. Every bench.load benchmark ends this way."""
    results = []
    for r in runs:
        results.append(run(r))
        (out / "results.json").write_text(json.dumps(results, indent=1))
    summary = summarise_all(results)
    (out / "summary.md").write_text(summary, encoding="utf-8")
    print("\n" + summary + f"\n(details: {out}/)")
    return 0


def row(r: dict) -> str:
    users = f"{r['users']} + kill" if r.get("kill") else str(r["users"])
    c = r["cores"]
    return (f"| {r['mode']} | {users} | {r['requests']} | {r['p50']:.0f} | {r['p95']:.0f} | "
            f"{r['p99']:.0f} | {r['failures']} | {r['failure_pct']:.3f} | {r['rps']:.0f} | "
            f"{r['moves_p50']:.0f} / {r['moves_p95']:.0f} | "
            f"{r['steady_p50']:.0f} / {r['steady_p95']:.0f} / {r['steady_p99']:.0f} | {r['resent']} | {r['questions']:.2f} | "
            f"{1e3 * c['server'] / max(r['rps'], 1e-9):.1f} | {c['server']:.2f} / {c['locust']:.2f} / {c['other']:.2f} |")


def kill_lines(r: dict) -> list[str]:
    k = r["kill"]
    replaced = (k.get("new_pid") is not None and k.get("workers_after") == k["workers_before"]
                and k.get("killed_pid_gone") and k.get("healthz_after") == 200)
    return [(f"- {r['name']}: SIGKILL to worker {k['killed_pid']} (most connections) at {k['killed_at_s']} s; "
            f"master forked {k.get('new_pid', 'nothing')} after {k.get('forked_s', '–')} s, "
            f"warm after {k.get('warm_s', '–')} s; workers at the end: {k.get('workers_after')} "
            f"(before {k['workers_before']}; client connections per worker before the kill: "
            f"{', '.join(map(str, k['connections_before'].values()))}), /healthz {k.get('healthz_after')}; "
            f"**worker replaced: {'yes' if replaced else 'NO'}**; "
            f"{r['failures']} failed of {r['requests']} ({r['failure_pct']:.3f} %; "
            f"{k['failures_within_15s']} of them ended within 15 s of the kill), "
            f"{r['resent']} resent on a reused connection, {r['stale']} closed idle "
            f"connections replaced before use")]


def report(results: list[dict], args) -> str:
    hall = ("explorer hall: every move to a value of the user's own (no cache hits)"
            if getattr(args, "explore", False) else "preset hall: a few values per slider")
    lines = [(f"Load ({hall}): {args.duration} s per run, users arrive over {args.spawn} s, one "
             f"slider move per {args.pacing} s per user, {os.cpu_count()} cores shared with the load "
             f"generator; gunicorn -c gunicorn.conf.py app:server"
             f"{' with GUNICORN_CMD_ARGS=' + repr(args.gunicorn_args) if args.gunicorn_args else ''}"
             f"; {datetime.now():%Y-%m-%d %H:%M}."), "", HEADER]
    lines += [row(r) for r in results]
    lines.append("")
    for r in results:
        if r.get("kill"):
            lines += kill_lines(r)
    for r in results:
        notes = []
        if r["failure_kinds"]:
            notes.append("failures: " + "; ".join(f"{n}× {k}" for k, n in r["failure_kinds"].items()))
        s = r["server"]
        if s["5xx"] or s["tracebacks"] or s["worker_timeouts"]:
            notes.append(f"server log: {s['5xx']}× 5xx, {s['tracebacks']} tracebacks, "
                         f"{s['worker_timeouts']} worker timeouts")
        if r.get("redis"):
            notes.append(f"Redis: {r['redis']['keys']} keys, {r['redis']['hits']} hits, "
                         f"{r['redis']['misses']} misses")
        if r["locust_warnings"]:
            notes.append("locust: " + "; ".join(r["locust_warnings"]))
        if notes:
            lines.append(f"- {r['name']}: " + " | ".join(notes))
    return "\n".join(lines) + "\n"


def rereport(args) -> int:
    """The summary of saved runs, recomputed from their records (same table, same files)."""
    results = json.loads((args.report / "results.json").read_text())
    for r in results:
        args.duration = r.get("duration", args.duration)
        data = json.loads((args.report / r["name"] / "records.json").read_text())
        r.update(summarise(data, args.duration))
    summary = report(results, args)
    (args.report / "summary.md").write_text(summary, encoding="utf-8")
    print(summary)
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)

    def ints(text):
        return [int(x) for x in text.split(",") if x]
    parser.add_argument("--users", type=ints, default=[50, 150, 300], help="e.g. 50,150,300")
    parser.add_argument("--duration", type=int, default=60, help="seconds per run")
    parser.add_argument("--spawn", type=float, default=10, help="seconds over which users arrive")
    parser.add_argument("--kill-users", type=int, default=300,
                        help="users of the extra run that kills a worker (0: no kill run)")
    parser.add_argument("--kill-at", type=float, default=30, help="seconds into the kill run")
    parser.add_argument("--cache", default="lru", help="comma list of off, lru, redis")
    parser.add_argument("--cache-size", type=int, default=None,
                        help="GRADLAB_CACHE_SIZE for lru and redis (default: the app's)")
    parser.add_argument("--pacing", type=float, default=1.0, help="seconds between moves")
    parser.add_argument("--nav-every", type=float, default=30, help="mean moves per page")
    parser.add_argument("--explore", action="store_true",
                        help="explorer hall: every move to a value nobody else asked")
    parser.add_argument("--assets", action="store_true",
                        help="users also fetch the page's scripts and styles (empty cache)")
    parser.add_argument("--gunicorn-args", default="",
                        help="experiment: GUNICORN_CMD_ARGS on top of gunicorn.conf.py, "
                             "e.g. '--keep-alive 0'")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=None,
                        help="only summarise the runs saved in this results folder again")
    args = parser.parse_args(argv)
    if args.report:
        return rereport(args)
    modes = [m for m in args.cache.split(",") if m]
    if unknown := set(modes) - set(CACHE_MODES):
        parser.error(f"unknown cache mode {unknown}")
    if args.kill_users and not 0 < args.kill_at < args.duration:
        parser.error("--kill-at must fall inside the run")

    def interrupted(signum, frame):  # SIGTERM: unwind through every finally below
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupted)

    out = (args.out or ROOT / "bench" / "results" / f"load-{datetime.now():%Y%m%d-%H%M%S}").resolve()
    out.mkdir(parents=True)
    ensure_load_venv()
    print("building the scenarios ...", flush=True)
    build_scenarios(out / "scenarios.json")
    runs = [(m, u, False) for m in modes for u in args.users]
    runs += [(m, args.kill_users, True) for m in modes if args.kill_users]
    return run_all(out, runs, lambda r: one_run(args, out / "scenarios.json", out, *r),
                   lambda results: report(results, args))
