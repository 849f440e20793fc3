"""With GRADLAB_CELERY_BROKER set, runs execute on Celery workers, on any machine:

    celery -A app.runs.celery_app worker --concurrency 2

The worker's concurrency is the pool (one run per worker process). The web machines queue a
run in the shared Redis store and send its id here; the task claims it and runs it with
app/runs/execute.py, exactly as a local run process does, so sharing, queue positions and
cancellation behave the same. Worker processes run at the lowest CPU priority (SCHED_IDLE),
like local run processes.
"""
import sys
from pathlib import Path

from celery import Celery, signals

# The worker imports the project's packages (engine, components) by name when a task runs.
# `celery -A` puts the working directory on sys.path only while it imports this module and
# takes it off again; this entry stays.
ROOT = str(Path(__file__).resolve().parents[2])
sys.path.append(ROOT)

from app import settings  # noqa: E402

celery = Celery("gradlab", broker=settings.CELERY_BROKER)
celery.conf.update(
    task_ignore_result=True,          # results live in the runs store, not in Celery
    worker_prefetch_multiplier=1,     # a worker takes one run at a time: the queue stays fair
    task_acks_late=False,             # a run lost with its worker is reported, not re-run
    task_time_limit=settings.RUN_TIME_LIMIT_S + 60,  # behind the run's own budget check
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@signals.worker_process_init.connect
def _lower_priority(**_):
    import torch

    from app.runs.supervisor import lower_priority
    lower_priority()
    torch.set_num_threads(1)


@celery.task(name="gradlab.execute_run")
def execute_run(rid: str) -> None:
    from app.runs.execute import execute
    from app.runs.store import shared_store
    execute(rid, shared_store())
