"""A fresh user script: the time from starting it to its first yielded run (scenario 5).

``python bench/scripts/first_run.py RUN_ID`` with ``TRIGGER_API_URL`` and ``TRIGGER_SECRET_KEY`` set: the
module-level default client, exactly as the README's first example.
"""

import sys

import trigger_client

for run in trigger_client.runs.subscribe_to_run(sys.argv[1]):
    print(run.id, run.status, flush=True)
    break
