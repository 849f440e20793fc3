"""`python -m app.runs.worker <run id>`: one training run's process, started by the local pool
(app/runs/supervisor.py) at low CPU priority, and ended by it with SIGTERM when the pool shuts
down (the run then ends as cancelled at its next check, a quarter of a second later)."""
import signal
import sys


def main(rid: str) -> int:
    import torch

    from app.runs.execute import execute
    from app.runs.store import shared_store

    # Process policy lives here, not in the engine: a run is tiny numerics on one thread, on
    # a machine whose other core serves the pages.
    torch.set_num_threads(1)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    execute(rid, shared_store(), shutting_down=lambda: bool(stopping))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
