"""gunicorn hooks of the Procfile's web process: the workers share their Prometheus metrics.

A scrape reaches one worker at random, so each worker writes its values to files
in PROMETHEUS_MULTIPROC_DIR and `/metrics` adds up the files of them all. A worker
chooses how it keeps its values when it first imports prometheus_client, so the
master sets the variable before any worker starts, and the workers inherit it.
Nothing here imports prometheus_client at module level: a worker forked from a
master that had imported it without the variable would keep its values to itself.

Each worker listens on a socket of its own (`reuse_port`), so that the kernel
spreads new connections over the workers. With one shared socket, the worker
that wakes first accepts every waiting connection: under 4 keep-alive connections
one worker took all of them and the other stayed idle (half the throughput on 2
cores, bench/side_by_side.py). A port that another server already listens on is
refused at start, as gunicorn does without `reuse_port`: two servers on one port
would otherwise share its connections silently.

A worker also exits when its master dies (`kill -9`, the OOM killer): gunicorn's
own workers check their parent, uvicorn's do not, and orphans kept serving and
kept the port, so the Procfile command could not start again ("Connection in use").
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# The folder this server made for itself, removed when it stops.
_made: str | None = None


def on_starting(server) -> None:
    _refuse_a_taken_port(server)
    metrics_folder_prepare()


def metrics_folder_prepare() -> None:
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


def _refuse_a_taken_port(server) -> None:
    for address in server.cfg.address:
        if not isinstance(address, tuple):  # a unix socket: gunicorn checks it itself
            continue
        host, port = address[:2]
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
            # SO_REUSEADDR as gunicorn's own sockets: only a listening socket refuses the bind.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                server.log.error(
                    "Connection in use: %s:%s (%s). Is the site already running?", host, port, error
                )
                sys.exit(1)


def child_exit(server, worker) -> None:
    from prometheus_client import multiprocess

    # Its live gauges (open websockets) go with it; its counters still count.
    multiprocess.mark_process_dead(worker.pid)


# Seconds between two looks at the parent process, and the graceful shutdown an
# orphaned worker is given (requests in flight finish) before it exits regardless:
# together the few seconds the port stays taken after the master is gone.
PARENT_CHECK_SECONDS = 0.5
ORPHAN_GRACE_SECONDS = 3.0


# glibc serves an allocation above this from mmap, given back to the system when
# freed. By default the limit rises to the largest block freed (up to 32 MiB), so
# the whole static files read by the reader threads (plotly.js: 4.8 MB) came from
# each thread's arena and stayed there: a worker grew to 499 MiB after 200
# dashboards' pages and scripts, 209 MiB with the limit fixed (bench/memory.py).
MMAP_THRESHOLD_BYTES = 128 * 1024
M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


def post_fork(server, worker) -> None:
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc: nothing to set
        return
    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


def post_worker_init(worker) -> None:
    threading.Thread(
        target=_exit_with_parent, args=(worker.ppid, worker.log), name="parent-watch", daemon=True
    ).start()


def _exit_with_parent(parent: int, log) -> None:
    """Polling rather than prctl(PR_SET_PDEATHSIG): that signal follows the thread
    that forked the worker, not the process, and is Linux only."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    log.warning("Master %s is gone: worker %s shuts down.", parent, os.getpid())
    # What the master would send: uvicorn stops accepting, finishes its requests, exits.
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(ORPHAN_GRACE_SECONDS)
    log.warning(
        "Worker %s still running %g s after its master died: exiting now.", os.getpid(), ORPHAN_GRACE_SECONDS
    )
    os._exit(1)


def on_exit(server) -> None:
    if _made:
        shutil.rmtree(_made, ignore_errors=True)


reuse_port = True

# gunicorn's runtime control socket has one path per user, which two instances on
# one machine would share; nothing here uses it.
control_socket_disable = True
