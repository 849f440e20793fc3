import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

# One BLAS/OpenMP thread, set before numpy or torch load, as app/__init__.py does for the
# served app: torch (imported below, before the app) loads numpy, which would otherwise start
# a BLAS thread per core here, unlike the app; on the shared 2-core machine that made every
# engine call 2–10× slower in the tests than in production.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# The app's settings are read once, at import: a private store for this session's training
# runs (never a developer's /tmp/gradlab-cache), and a pool of two whatever the machine.
os.environ["GRADLAB_CACHE_DIR"] = tempfile.mkdtemp(prefix="gradlab-tests-")
os.environ.setdefault("GRADLAB_MAX_RUNS", "2")

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
torch.set_num_threads(1)  # the test machine has two cores; keep torch from fighting pytest


@contextmanager
def isolated_runs(folder, monkeypatch, redis_url=None):
    """Training runs in a store of their own (the disk cache in `folder`, or an emptied Redis)
    with a local pool of their own, stopped at the end with its run processes."""
    from app import settings
    from app.runs import store, supervisor
    monkeypatch.setattr(settings, "CACHE_DIR", str(folder))
    monkeypatch.setenv("GRADLAB_CACHE_DIR", str(folder))  # the pool and its run processes
    monkeypatch.setattr(settings, "RUNS_REDIS_URL", redis_url)
    if redis_url:
        monkeypatch.setenv("GRADLAB_RUNS_REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("GRADLAB_RUNS_REDIS_URL", raising=False)
    monkeypatch.setattr(store, "_STORE", None)
    store.shared_store().clear()
    try:
        yield store.shared_store()
    finally:
        for proc in list(supervisor._SPAWNED):
            supervisor.stop(proc)
            supervisor._SPAWNED.remove(proc)
        store._STORE = None


@pytest.fixture
def runs(request, tmp_path, monkeypatch):
    """A fresh runs store and pool for one test, so runs and per-client counts never leak
    between tests; parametrized with "redis", in Redis instead of on disk."""
    url = request.getfixturevalue("redis_url") if getattr(request, "param", "disk") == "redis" \
        else None
    with isolated_runs(tmp_path, monkeypatch, url) as store:
        yield store


@pytest.fixture(scope="session")
def redis_url():
    """A Redis for the tests: the one the test runner started (.ci/test exports
    GRADLAB_TEST_REDIS_URL), else a throwaway redis-server on loopback, no persistence."""
    if os.environ.get("GRADLAB_TEST_REDIS_URL"):
        yield os.environ["GRADLAB_TEST_REDIS_URL"]
        return
    import shutil
    import socket
    import subprocess
    import time
    exe = shutil.which("redis-server")
    assert exe, "redis-server is not installed (.ci/install installs it)"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)

