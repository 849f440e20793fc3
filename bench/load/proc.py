"""gunicorn's processes and their connections, read from /proc (Linux; no psutil here).
Used by the load runner and tests/deploy/test_faults.py."""
import os
from pathlib import Path


def children(pid: int, web_only: bool = True) -> set[int]:
    """Process ids whose parent is `pid`: a gunicorn master's web workers (web_only), or all
    of its children (the workers and the run pool)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != pid:
                continue
            if web_only and b"app.runs" in Path(stat.parent, "cmdline").read_bytes():
                continue  # the run pool (app/runs/supervisor.py), not a web worker
        except OSError:  # the process ended meanwhile
            continue
        found.add(int(stat.parent.name))
    return found


def _established(port: int) -> set[str]:
    """Socket inodes of established IPv4 TCP connections whose local port is `port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
            inodes.add(fields[9])
    return inodes


def connections(pids, port: int) -> dict[int, int]:
    """pid → number of established client connections to `port` that the process holds."""
    inodes = _established(port)
    counts = {}
    for pid in pids:
        held = 0
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    link = os.readlink(f"/proc/{pid}/fd/{fd}")
                except OSError:
                    continue
                if link.startswith("socket:[") and link[8:-1] in inodes:
                    held += 1
        except OSError:  # the process ended meanwhile
            pass
        counts[pid] = held
    return counts


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children it has reaped (a gunicorn master reaps its
    dead workers), in seconds; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK  # utime stime cutime cstime


def machine_busy_seconds() -> float:
    """CPU time all cores of the machine have spent busy since boot."""
    ticks = [int(f) for f in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # all but idle and iowait
