"""Re-plant the mutants of issue 19 one at a time and check that the tests naming the behaviour
fail on each (then restore the source, whatever happens).

    python codegen/replant_mutants.py          # every mutant (a few minutes)
    python codegen/replant_mutants.py capless  # one of them

Each mutant is a text substitution in one source file; the script fails if a substitution no
longer applies (the code moved: update the mutant) or if a named test passes with the mutant in.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Mutant:
    name: str
    what: str
    path: str
    #: (text, replacement) pairs, each found exactly once in the file
    edits: tuple[tuple[str, str], ...]
    #: pytest node ids or -k selections, each of which must fail with the mutant in
    tests: tuple[tuple[str, ...], ...]


MUTANTS = (
    Mutant(
        "retrieve-drops-fields",
        "REST retrieve returns None for started_at, finished_at, metadata and error, a bogus ttl",
        "trigger_client/_protocol/runs.py",
        (
            ("        ttl=parsed.ttl,\n", '        ttl="bogus",\n'),
            ("        finished_at=_ms(parsed.finished_at),\n", "        finished_at=None,\n"),
            ("        started_at=_ms(parsed.started_at),\n", "        started_at=None,\n"),
            (
                "        metadata=parsed.metadata,\n        error=parsed.error,\n",
                "        metadata=None,\n        error=None,\n",
            ),
        ),  # fmt: skip
        (
            ("tests/parity/test_rest_parity.py", "-k", "test_retrieve_parity"),
            ("tests/_sync/test_runs_api.py", "-k", "test_retrieve_keeps_every_field"),
        ),
    ),
    Mutant(
        "capless",
        "RetryPolicy.delay without its max_delay cap",
        "trigger_client/_protocol/retry.py",
        (
            (
                "cap = min(self.max_delay, self.initial_delay * self.multiplier ** max(attempt, 0))",
                "cap = self.initial_delay * self.multiplier ** max(attempt, 0)",
            ),
        ),
        (
            ("tests/_sync/test_resilience.py", "-k", "test_the_refetch_loop_is_bounded"),
            ("tests/_sync/test_resilience.py", "-k", "test_poll_backoff_grows_to_its_cap"),
            ("tests/_async/test_resilience.py", "-k", "test_poll_backoff_grows_to_its_cap"),
        ),
    ),
    Mutant(
        "halved",
        "every backoff delay halved",
        "trigger_client/_protocol/retry.py",
        (("        jittered = random() * cap\n", "        jittered = random() * cap / 2\n"),),
        (
            ("tests/_sync/test_resilience.py", "-k", "cached_live_answer_echoing and none"),
            ("tests/_async/test_resilience.py", "-k", "replayed_snapshot and none"),
            ("tests/_async/test_resilience.py", "-k", "persistent_429 and none"),
            ("tests/_sync/test_auth_and_errors.py", "-k", "test_realtime_connection_limit and at"),
        ),
    ),
)


def _apply(mutant: Mutant) -> str:
    path = ROOT / mutant.path
    original = path.read_text()
    text = original
    for before, after in mutant.edits:
        if text.count(before) != 1:
            raise SystemExit(f"{mutant.name}: {before.strip()!r} is not in {mutant.path} once")
        text = text.replace(before, after)
    path.write_text(text)
    return original


def main(names: list[str]) -> int:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    failures = 0
    for mutant in chosen:
        original = _apply(mutant)
        try:
            for test in mutant.tests:
                done = subprocess.run(
                    [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *test],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                )
                summary = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
                caught = done.returncode == 1
                failures += not caught
                verdict = "caught" if caught else "NOT CAUGHT"
                print(f"{mutant.name}: {' '.join(test)}: {verdict} ({summary})", flush=True)
        finally:
            (ROOT / mutant.path).write_text(original)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
