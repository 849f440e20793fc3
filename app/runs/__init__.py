"""Training runs a lecture hall can share.

A run is a pure function of its validated engine configuration (same config and seed → the
same numbers), so identical Starts are one run: the run's id is a digest of its configuration
and of the code. Viewers (browser tabs) attach to a run; the first Start queues it, the others
join it — in flight they see its stream from step 0, once it has finished it is replayed from
the store. Stop detaches one viewer; a run is cancelled only when nobody watches it.

    store.py       the shared state: a disk cache on one machine, Redis across machines
    manager.py     what the page calls: start, poll, stop; the queue, viewers, limits, tidying
    execute.py     one run from start to end, streaming snapshots into the store
    supervisor.py  the local pool: at most GRADLAB_MAX_RUNS run processes per machine
    worker.py      one run's process (`python -m app.runs.worker <id>`), at low CPU priority
    celery_app.py  with GRADLAB_CELERY_BROKER: the same runs on Celery workers
"""
