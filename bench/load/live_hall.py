"""A live lecture: one lead moving a /chain slider once a second, a hall of followers, and —
alone and at the same time — the explorer hall's students moving sliders of their own.

    python -m bench.load.live_hall                       # 300 followers, 50 explorers, 60 s
    python -m bench.load.live_hall --followers 150 --explorers 0,50 --duration 30

Three runs, each on a fresh `gunicorn -c gunicorn.conf.py app:server` (the image's command,
cold caches): the explorers alone (the baseline: bench/load/locustfile.py --explore), the live
session alone (bench/load/live_locustfile.py: 1 lead + N followers arriving over --spawn s),
and both at once, as two locust processes. Reported: the lag from the lead's slider release to
a follower holding the figures for it (p50/p95/max, over all moves and after the arrivals), the
followers' polls (p50/p95 ms, share answered 304), requests/s, failures, the explorers' slider
moves p50/p95 alone and beside the live session, and the cores the server used. Results go to
bench/results/live-hall-<time>/ (summary.md, results.json, records, logs).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np
import requests

from bench.load.proc import children, cpu_seconds, machine_busy_seconds
from bench.load.runner import (LOCUST, build_scenarios, ensure_load_venv, run_all,
                               start_gunicorn, stop_group)
from tests.deploy.conftest import ROOT

HERE = Path(__file__).resolve().parent
START = "/chain?w=0.9&n=50"  # the lecturer's page when going live (a scenario of the hall)


def p(values, q):
    return round(float(np.percentile(values, q)), 1) if len(values) else None


def locust(script: str, users: int, args, run_dir: Path, name: str, host: str, extra: list):
    command = [str(LOCUST), "-f", str(HERE / script), "--headless", "-u", str(users),
               "-r", f"{users / args.spawn:.3f}", "-t", f"{args.duration}s",
               "--stop-timeout", "20", "--host", host, "--only-summary",
               "--records", str(run_dir / f"{name}-records.json"), *extra]
    log = open(run_dir / f"{name}-locust.log", "wb")  # noqa: SIM115  closed by the caller
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True), log


def server_cpu(server) -> float:
    master = server.proc.pid
    return cpu_seconds(master) + sum(cpu_seconds(pid) for pid in children(master, web_only=False))


def one(args, out: Path, scenarios: list, followers: int, explorers: int) -> dict:
    name = f"live-{followers}-explore-{explorers}"
    run_dir = out / name
    run_dir.mkdir()
    print(f"--- {name}: starting server ...", flush=True)
    server = start_gunicorn(run_dir, "lru", None, None)
    procs = []
    try:
        chain = next(s for s in scenarios if s["page"] == "/chain")
        path, _, query = START.partition("?")
        body = requests.post(server.url + "/live", json={"path": path, "query": "?" + query},
                             timeout=10).json()
        live_path = run_dir / "live-scenario.json"
        live_path.write_text(json.dumps({"session": body["id"], "token": body["token"],
                                         "router": chain["router"],
                                         "callback": chain["callback"]}))
        cpu0, busy0, t0 = server_cpu(server), machine_busy_seconds(), time.monotonic()
        gen0 = 0.0
        if followers:
            procs.append(locust("live_locustfile.py", followers + 1, args, run_dir, "live",
                                server.url, ["--scenarios", str(live_path)]))
        if explorers:
            procs.append(locust("locustfile.py", explorers, args, run_dir, "explore", server.url,
                                ["--scenarios", str(out / "scenarios.json"), "--explore",
                                 "--pacing", "1", "--nav-every", "30"]))
        print(f"--- {name}: {followers} followers + 1 lead, {explorers} explorers for "
              f"{args.duration} s", flush=True)
        time.sleep(args.duration - 0.5)
        cpu1, busy1, t1 = server_cpu(server), machine_busy_seconds(), time.monotonic()
        gen1 = sum(cpu_seconds(proc.pid) for proc, _ in procs)  # the load generators
        for proc, log in procs:
            proc.wait(timeout=args.duration + 90)
            log.close()
    finally:
        for proc, log in procs:
            stop_group(proc)
            log.close()
        server.stop()
    result = {"name": name, "followers": followers, "explorers": explorers,
              "cores_server": round((cpu1 - cpu0) / (t1 - t0), 2),
              "cores_machine": round((busy1 - busy0) / (t1 - t0), 2),
              "cores_locust": round((gen1 - gen0) / (t1 - t0), 2)}
    log_text = (run_dir / "server.log").read_text(errors="replace")
    result["server_5xx"] = sum(1 for line in log_text.splitlines() if '" 5' in line)
    result["tracebacks"] = log_text.count("Traceback")
    if followers:
        result.update(summarise_live(json.loads((run_dir / "live-records.json").read_text()),
                                     args))
    if explorers:
        result.update(summarise_explorers(
            json.loads((run_dir / "explore-records.json").read_text()), args))
    (run_dir / "result.json").write_text(json.dumps(result, indent=1))
    print(f"--- {name}: {json.dumps(result)}", flush=True)
    return result


def summarise_live(data: dict, args) -> dict:
    recs, lags = data["records"], data["lags"]
    begin = min((r[0] for r in recs), default=0.0)
    settled = [lag[1] for lag in lags if lag[3] > begin + args.spawn + 5]
    polls = [r[2] for r in recs if r[1] == "GET state"]
    failed = [r for r in recs if r[4]]
    moves = {r[1]: [] for r in recs}
    for r in recs:
        moves[r[1]].append(r[2])
    counts = data["counts"]
    return {
        "live_requests": len(recs), "live_rps": round(len(recs) / args.duration, 1),
        "live_failures": len(failed),
        "live_failure_kinds": sorted({f"{r[1]}: {r[4]}" for r in failed})[:5],
        "lags": len(lags), "lag_p50": p([x[1] for x in lags], 50),
        "lag_p95": p([x[1] for x in lags], 95), "lag_max": p([x[1] for x in lags], 100),
        "settled_lag_p50": p(settled, 50), "settled_lag_p95": p(settled, 95),
        "poll_p50": p(polls, 50), "poll_p95": p(polls, 95),
        "poll_304_share": round(counts["poll_304"] / max(1, counts["poll_304"] + counts["poll_200"]), 3),
        "follow_move_p95": p(moves.get("POST follow move /chain", []), 95),
        "lead_move_p95": p(moves.get("POST lead move /chain", []), 95),
        "publish_p95": p(moves.get("POST publish", []), 95),
        "stale_figures": counts["stale_figures"], "skipped_versions": counts["skipped_versions"],
        "lead_moves": len(moves.get("POST publish", [])),
    }


def summarise_explorers(data: dict, args) -> dict:
    recs = data["records"]
    moves = [r[2] for r in recs if r[1].startswith("POST move")]
    begin = min((r[0] for r in recs), default=0.0)
    settled = [r[2] for r in recs if r[1].startswith("POST move") and r[0] > begin + args.spawn + 5]
    return {"explore_requests": len(recs), "explore_failures": sum(1 for r in recs if r[4]),
            "explore_moves_p50": p(moves, 50), "explore_moves_p95": p(moves, 95),
            "explore_settled_p95": p(settled, 95)}


def report(results: list[dict], args) -> str:
    alone = next((r for r in results if not r["followers"]), None)

    def slowed(r, key):
        if not alone or not r.get(key) or not alone.get(key):
            return ""
        return f" ({r[key] / alone[key]:.2f}×)"
    lines = [f"Live session: 1 lead moving /chain's w to a fresh value once a second, followers "
             f"polling once a second and fetching the figures on each change; explorers as in "
             f"`bench.load --explore`; arrivals over {args.spawn} s, {args.duration} s per run, "
             f"{os.cpu_count()} cores shared with the load generators; gunicorn -c "
             f"gunicorn.conf.py app:server; {datetime.now():%Y-%m-%d %H:%M}.", "",
             "| followers | explorers | lag p50 / p95 / max ms | lag after arrivals p50 / p95 | "
             "poll p50 / p95 ms (304 share) | follower rps | live failures | explorer moves "
             "p50 / p95 ms (× alone) | explorer failures | cores: server / load generators / "
             "machine |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        live = (f"{r['lag_p50']} / {r['lag_p95']} / {r['lag_max']} | {r['settled_lag_p50']} / "
                f"{r['settled_lag_p95']} | {r['poll_p50']} / {r['poll_p95']} "
                f"({r['poll_304_share']}) | {r['live_rps']} | {r['live_failures']}"
                if r["followers"] else "– | – | – | – | –")
        explore = (f"{r['explore_moves_p50']}{slowed(r, 'explore_moves_p50')} / "
                   f"{r['explore_moves_p95']}{slowed(r, 'explore_moves_p95')} | "
                   f"{r['explore_failures']}" if r["explorers"] else "– | –")
        lines.append(f"| {r['followers']} | {r['explorers']} | {live} | {explore} | "
                     f"{r['cores_server']} / {r['cores_locust']} / {r['cores_machine']} |")
    lines.append("")
    for r in results:
        if r["followers"]:
            lines.append(f"- {r['name']}: {r['lags']} follower updates measured over "
                         f"{r['lead_moves']} lead moves; stale figures {r['stale_figures']}, "
                         f"skipped versions {r['skipped_versions']}; p95 of the followers' "
                         f"callback {r['follow_move_p95']} ms, the lead's {r['lead_move_p95']} "
                         f"ms, its publish {r['publish_p95']} ms; server 5xx "
                         f"{r['server_5xx']}, tracebacks {r['tracebacks']}"
                         + (f"; failures: {r['live_failure_kinds']}" if r["live_failures"] else ""))
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=300)
    parser.add_argument("--explorers", default="50", help="comma list: explorer hall sizes")
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--spawn", type=float, default=10)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    out = (args.out or ROOT / "bench" / "results" /
           f"live-hall-{datetime.now():%Y%m%d-%H%M%S}").resolve()
    out.mkdir(parents=True)
    ensure_load_venv()
    print("building the scenarios ...", flush=True)
    scenarios = build_scenarios(out / "scenarios.json")
    runs = []
    for explorers in [int(e) for e in args.explorers.split(",") if e]:
        if explorers:
            runs.append((0, explorers))
        runs.append((args.followers, explorers))
    if not any(e == 0 for _, e in runs):
        runs.insert(0, (args.followers, 0))
    return run_all(out, runs, lambda r: one(args, out, scenarios, *r),
                   lambda results: report(results, args))


if __name__ == "__main__":
    sys.exit(main())
