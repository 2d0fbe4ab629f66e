"""gunicorn hooks of the Procfile's web process: the workers share their Prometheus metrics.

A scrape reaches one worker at random, so each worker writes its values to files
in PROMETHEUS_MULTIPROC_DIR and `/metrics` adds up the files of them all. A worker
chooses how it keeps its values when it first imports prometheus_client, so the
master sets the variable before any worker starts, and the workers inherit it.
Nothing here imports prometheus_client at module level: a worker forked from a
master that had imported it without the variable would keep its values to itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The folder this server made for itself, removed when it stops.
_made: str | None = None


def on_starting(server) -> None:
    global _made
    chosen = os.environ.get(VARIABLE)
    if chosen:
        # The values of an earlier run would be added to this one's.
        Path(chosen).mkdir(parents=True, exist_ok=True)
        for leftover in Path(chosen).glob("*.db"):
            leftover.unlink()
    else:
        # A fresh folder for each server: two on one machine must not add up each other's values.
        _made = tempfile.mkdtemp(prefix="dashengine-metrics-")
        os.environ[VARIABLE] = _made


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    # Its live gauges (open websockets) go with it; its counters still count.
    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _made:
        shutil.rmtree(_made, ignore_errors=True)


# gunicorn's runtime control socket has one path per user, which two instances on
# one machine would share; nothing here uses it.
control_socket_disable = True
