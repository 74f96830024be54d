"""The chaos suite: random lifecycles under random transient faults, for every seed, sync and async
(asyncio and trio), realtime and poll, Electric and native backends.

Each seed is one subscription to its own run (see ``scenario.py`` for what a seed decides and
``scenario.check_seed`` for the invariants). Seeds run concurrently: async seeds share one client per
backend in one task group, sync seeds share one client per backend across a pool of threads.

    .venv/bin/python -m pytest tests/chaos                          # 300 seeds per test (CI)
    TRIGGER_CHAOS_SEEDS=5000 .venv/bin/python -m pytest tests/chaos  # make test-long
    TRIGGER_CHAOS_SEED=17 .venv/bin/python -m pytest 'tests/chaos/test_chaos.py::test_chaos_sync[poll]'

A failure lists every failed seed with its first problem, then the scenario, the yields and the
request log of the first five, each with the command that replays it.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence

import anyio
import pytest

from trigger_client import AsyncTriggerClient, TriggerClient

from .conftest import Lab
from .scenario import (
    DEADLINE_SLACK,
    POLL_INTERVAL,
    SUBSCRIPTION_TIMEOUT,
    Backend,
    Scenario,
    Seed,
    Transport,
    begin,
    check_seed,
    client_options,
    end,
    lifecycle_done,
    make_scenario,
    prepare,
    records_by_path,
    report,
    retire,
    seed_records,
    selected_seeds,
)

SEEDS = selected_seeds()
TRANSPORTS: Sequence[Transport] = ("realtime", "poll")
ASYNC_CONCURRENCY = 40
SYNC_WORKERS = 24
#: pytest-timeout for one test: room for every seed at the measured pace, and a hung one.
TEST_TIMEOUT = max(180, int(len(SEEDS) * 0.25) + 60)

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(TEST_TIMEOUT)]


class TimeoutLog(logging.Handler):
    """The client's DEBUG reports of read timeouts (one line per timed-out request)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._logger = logging.getLogger("trigger_client")

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Timeout" in message:
            self.lines.append(message)

    def __enter__(self) -> TimeoutLog:
        self._logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)

    def count(self, run_id: str) -> int:
        return sum(run_id in line for line in self.lines)


#: Above this share of overloaded seeds (see ``Seed.overloaded``) the run cannot judge what the
#: client sends after a 409 (the one check such a seed skips).
MAX_OVERLOADED = 0.05


def _verify(
    lab: Lab, seeds: Sequence[Seed], nodeid: str, started: float, timeouts: TimeoutLog
) -> None:
    grouped = records_by_path(list(lab.emulators.values()))
    for seed in seeds:
        seed.client_timeouts = timeouts.count(seed.run_id)
    failures: list[str] = []
    summaries: list[tuple[int, str]] = []
    requests = 0
    seen: Counter[str] = Counter()
    for seed in seeds:
        records = seed_records(seed, grouped)
        requests += len(records)
        seen.update(f"{r.fault or 'ok'}:{r.status}" for r in records)
        seen[f"backend:{seed.scenario.backend}"] += 1
        seen["overloaded"] += seed.overloaded
        seen["timeouts"] += seed.client_timeouts
        if seed.scenario.storm is not None:
            seen[f"storm:{seed.scenario.storm.fault.name}"] += 1
        problems = check_seed(seed, records)
        if problems:
            failures.append(report(seed, problems, records, nodeid))
            summaries.append((seed.scenario.seed, problems[0]))
    elapsed = time.monotonic() - started
    print(
        f"\n{nodeid}: {len(seeds)} seeds, {requests} requests, {elapsed:.1f}s; "
        + ", ".join(f"{k}={v}" for k, v in sorted(seen.items())),
        file=sys.stderr,
    )
    overloaded = [seed.scenario.seed for seed in seeds if seed.overloaded]
    if len(overloaded) > MAX_OVERLOADED * len(seeds):
        failures.append(
            f"{len(overloaded)} of {len(seeds)} seeds had read timeouts no fault caused (seeds "
            f"{overloaded[:20]}...): the machine is too loaded to judge what follows a 409; run fewer seeds "
            "at once (ASYNC_CONCURRENCY, SYNC_WORKERS)"
        )
    if failures:
        index = "\n".join(f"  seed {seed}: {first}" for seed, first in summaries)
        shown = "\n\n".join(failures[:5])
        more = f"\n\n... and {len(failures) - 5} more" if len(failures) > 5 else ""
        pytest.fail(
            f"{len(summaries)} of {len(seeds)} chaos seeds failed:\n{index}\n\n{shown}{more}",
            pytrace=False,
        )


# -- async ----------------------------------------------------------------------------------------


async def _run_seed_async(
    lab: Lab, clients: dict[Backend, AsyncTriggerClient], scenario: Scenario
) -> Seed:
    emulator = lab.emulators[scenario.backend]
    client = clients[scenario.backend]
    seed = prepare(scenario, emulator, lab.histories[scenario.backend])
    subscription = client.runs.subscribe_to_run(
        seed.run_id,
        feed=scenario.transport,
        poll_interval=POLL_INTERVAL,
        timeout=SUBSCRIPTION_TIMEOUT,
    )
    begin(seed)
    try:
        with anyio.move_on_after(SUBSCRIPTION_TIMEOUT + DEADLINE_SLACK) as watchdog:
            async for run in subscription:
                seed.runs.append(run)
        if watchdog.cancelled_caught:
            seed.error = TimeoutError("hung past its deadline (cancelled by the test's watchdog)")
    except Exception as exc:  # reported with the seed
        seed.error = exc
    finally:
        seed.closed = subscription.closed
        await subscription.aclose()
        end(seed)
    with anyio.move_on_after(10):
        while not lifecycle_done(seed):
            await anyio.sleep(0.01)
    seed.final_row = emulator.get_run(seed.run_id)
    try:
        seed.final_rest = await client.runs.retrieve(seed.run_id)
    except Exception as exc:
        seed.rest_error = exc
    retire(seed)
    return seed


@pytest.mark.anyio
@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_chaos_async(
    lab: Lab, transport: Transport, anyio_backend: str, request: pytest.FixtureRequest
) -> None:
    started = time.monotonic()
    lab.reset()
    scenarios = [make_scenario(seed, transport) for seed in SEEDS]
    clients = {
        backend: AsyncTriggerClient(**client_options(emu.base_url, emu.secret_key))
        for backend, emu in lab.emulators.items()
    }
    limiter = anyio.CapacityLimiter(ASYNC_CONCURRENCY)
    seeds: list[Seed] = []

    async def one(scenario: Scenario) -> None:
        async with limiter:
            seeds.append(await _run_seed_async(lab, clients, scenario))

    with TimeoutLog() as timeouts:
        try:
            async with anyio.create_task_group() as group:
                for scenario in scenarios:
                    group.start_soon(one, scenario)
        finally:
            for client in clients.values():
                await client.aclose()
    del anyio_backend  # asyncio and trio: part of the node id
    ordered = sorted(seeds, key=lambda s: s.scenario.seed)
    _verify(lab, ordered, request.node.nodeid, started, timeouts)


# -- sync -----------------------------------------------------------------------------------------


def _run_seed_sync(lab: Lab, clients: dict[Backend, TriggerClient], scenario: Scenario) -> Seed:
    emulator = lab.emulators[scenario.backend]
    client = clients[scenario.backend]
    seed = prepare(scenario, emulator, lab.histories[scenario.backend])
    subscription = client.runs.subscribe_to_run(
        seed.run_id,
        feed=scenario.transport,
        poll_interval=POLL_INTERVAL,
        timeout=SUBSCRIPTION_TIMEOUT,
    )
    begin(seed)
    try:
        for run in subscription:
            seed.runs.append(run)
    except Exception as exc:  # reported with the seed
        seed.error = exc
    finally:
        seed.closed = subscription.closed
        subscription.close()
        end(seed)
    give_up = time.monotonic() + 10
    while not lifecycle_done(seed) and time.monotonic() < give_up:
        time.sleep(0.01)
    seed.final_row = emulator.get_run(seed.run_id)
    try:
        seed.final_rest = client.runs.retrieve(seed.run_id)
    except Exception as exc:
        seed.rest_error = exc
    retire(seed)
    return seed


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_chaos_sync(lab: Lab, transport: Transport, request: pytest.FixtureRequest) -> None:
    started = time.monotonic()
    lab.reset()
    todo: queue.Queue[Scenario] = queue.Queue()
    for seed_number in SEEDS:
        todo.put(make_scenario(seed_number, transport))
    clients = {
        backend: TriggerClient(**client_options(emu.base_url, emu.secret_key))
        for backend, emu in lab.emulators.items()
    }
    seeds: list[Seed] = []
    in_flight: dict[int, Scenario] = {}
    lock = threading.Lock()

    def worker() -> None:
        while True:
            try:
                scenario = todo.get_nowait()
            except queue.Empty:
                return
            with lock:
                in_flight[scenario.seed] = scenario
            result = _run_seed_sync(lab, clients, scenario)
            with lock:
                del in_flight[scenario.seed]
                seeds.append(result)

    # Daemon threads, not an executor: a hung subscription must not keep pytest from exiting.
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(SYNC_WORKERS)]
    with TimeoutLog() as timeouts:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + TEST_TIMEOUT - 30
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        hung = sorted(in_flight)
    if hung:
        pytest.fail(
            f"chaos seeds {hung} never ended: a subscription hung past its {SUBSCRIPTION_TIMEOUT}s"
            f" deadline; replay one: TRIGGER_CHAOS_SEED=<n> .venv/bin/python -m pytest"
            f" '{request.node.nodeid}'",
            pytrace=False,
        )
    for client in clients.values():
        client.close()
    ordered = sorted(seeds, key=lambda s: s.scenario.seed)
    _verify(lab, ordered, request.node.nodeid, started, timeouts)
