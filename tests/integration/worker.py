"""A real Celery worker for the integration tests (run as a subprocess).

Exactly the production worker, with two knobs from the environment so a test can kill it in the middle of
a full run: smaller chunks (TEST_RUN_CHUNK) and a pause inside each chunk's transaction (TEST_CHUNK_DELAY).
Redis hands a dead worker's task to another one after CELERY_VISIBILITY_TIMEOUT; the restore scan runs every
second here instead of every ten.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ntm_tracker.settings")

import django  # noqa: E402

django.setup()

from criteria import services  # noqa: E402
from ntm_tracker.celery import app  # noqa: E402

services.RUN_CHUNK = int(os.environ.get("TEST_RUN_CHUNK", str(services.RUN_CHUNK)))
DELAY = float(os.environ.get("TEST_CHUNK_DELAY", "0"))
_real = services._recompute_units


def _slow(*args, **kwargs):
    time.sleep(DELAY)
    return _real(*args, **kwargs)


services._recompute_units = _slow
app.conf.broker_transport_options = {
    **app.conf.broker_transport_options,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}

if __name__ == "__main__":
    app.worker_main(
        [
            "worker",
            "--queues=interactive,bulk",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--hostname=test-{os.getpid()}@%h",
        ]
    )
