"""A fresh user script: the time from starting it to the last run of a tag feed's snapshot (scenario 5).

``python bench/scripts/tag_feed.py TAG N`` with ``TRIGGER_API_URL`` and ``TRIGGER_SECRET_KEY`` set:
the module-level default client follows the tag and prints one line once it has seen N distinct runs.
"""

import sys

import trigger_client

tag, count = sys.argv[1], int(sys.argv[2])
seen = set()
for run in trigger_client.runs.subscribe_to_runs_with_tag(tag):
    seen.add(run.id)
    if len(seen) >= count:
        print(f"{len(seen)} runs", flush=True)
        break
