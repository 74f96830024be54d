"""The emulator's database: environments, TaskRun and batch rows, packets, and a commit log.

Every change goes through a :class:`Store` transaction. A commit gets a strictly increasing LSN,
is handed to the commit listeners (the shape logs) under the store lock, and then wakes the
long-polls waiting on what it touched through the :class:`Notifier`, on the server's event loop.
The control API runs in the caller's thread and the HTTP handlers on the server's loop; the
store lock makes both safe.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ._clock import Clock
from ._ids import friendly_id, new_cuid, new_secret_key

__all__ = [
    "Blob",
    "Change",
    "Environment",
    "Notifier",
    "Store",
    "Transaction",
    "TxWriter",
]

Row = dict[str, Any]


@dataclass(frozen=True)
class Environment:
    """A runtime environment: its id is the JWT ``sub``, its root secret key signs tokens."""

    id: str
    api_key: str
    slug: str = "dev"
    type: str = "DEVELOPMENT"
    name: str = "Development"
    project_id: str = field(default_factory=new_cuid)
    project_ref: str = "proj_emulator"
    organization_id: str = field(default_factory=new_cuid)

    def __repr__(self) -> str:  # never show the key
        return f"Environment(id={self.id!r}, slug={self.slug!r}, type={self.type!r})"


@dataclass(frozen=True)
class Blob:
    """An object in the packet store."""

    content: bytes
    content_type: str


@dataclass(frozen=True)
class Change:
    """One row change: ``old`` is None for an insert, ``new`` None for a delete."""

    table: str
    id: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


@dataclass(frozen=True)
class Transaction:
    """A committed transaction."""

    lsn: int
    xid: int
    changes: tuple[Change, ...]


CommitListener = Callable[[Transaction], Iterable[Hashable]]


class Notifier:
    """Wakes long-polls on the server loop. Keys are any hashables, e.g. ``("run", id)``.

    ``wait`` and ``discard`` must be called on the loop; ``notify`` from any thread.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: dict[Hashable, set[asyncio.Future[Hashable]]] = {}

    def attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop

    def wait(self, keys: Iterable[Hashable]) -> asyncio.Future[Hashable]:
        """A future resolved by the next notification of any of ``keys``."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Hashable] = loop.create_future()
        for key in keys:
            self._waiters.setdefault(key, set()).add(fut)
        return fut

    def discard(self, fut: asyncio.Future[Hashable], keys: Iterable[Hashable]) -> None:
        for key in keys:
            waiting = self._waiters.get(key)
            if waiting is not None:
                waiting.discard(fut)
                if not waiting:
                    del self._waiters[key]

    def notify(self, keys: Iterable[Hashable]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._fire, tuple(keys))
        except RuntimeError:  # the loop closed meanwhile
            pass

    def notify_all(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self._fire_all)
        except RuntimeError:
            pass

    def _fire(self, keys: tuple[Hashable, ...]) -> None:
        for key in keys:
            for fut in self._waiters.pop(key, ()):
                if not fut.done():
                    fut.set_result(key)

    def _fire_all(self) -> None:
        waiters, self._waiters = self._waiters, {}
        for futs in waiters.values():
            for fut in futs:
                if not fut.done():
                    fut.set_result(None)

    def waiting_count(self) -> int:
        return len({f for futs in self._waiters.values() for f in futs})


class TxWriter:
    """Writes inside one transaction. Rows handed out are copies; writes go through here."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.changes: list[Change] = []

    @property
    def now_ms(self) -> int:
        return self._store.clock.now_ms()

    def insert_run(self, row: Row) -> Row:
        store = self._store
        row = dict(row)
        store.runs[row["id"]] = row
        store.run_ids_by_friendly[row["friendlyId"]] = row["id"]
        self.changes.append(Change("TaskRun", row["id"], None, copy.deepcopy(row)))
        return copy.deepcopy(row)

    def update_run(self, run_id: str, changes: Mapping[str, Any]) -> Row:
        """Apply column changes; ``updatedAt`` advances (strictly) unless it is given."""
        store = self._store
        old = store.runs[run_id]
        new = dict(old)
        new.update(copy.deepcopy(dict(changes)))
        if "updatedAt" not in changes:
            new["updatedAt"] = max(self.now_ms, old["updatedAt"] + 1)
        store.runs[run_id] = new
        self.changes.append(Change("TaskRun", run_id, copy.deepcopy(old), copy.deepcopy(new)))
        return copy.deepcopy(new)

    def insert_batch(self, row: Row) -> Row:
        store = self._store
        row = dict(row)
        store.batches[row["id"]] = row
        store.batch_ids_by_friendly[row["friendlyId"]] = row["id"]
        self.changes.append(Change("BatchTaskRun", row["id"], None, copy.deepcopy(row)))
        return copy.deepcopy(row)

    def update_batch(self, batch_id: str, changes: Mapping[str, Any]) -> Row:
        store = self._store
        old = store.batches[batch_id]
        new = dict(old)
        new.update(copy.deepcopy(dict(changes)))
        if "updatedAt" not in changes:
            new["updatedAt"] = max(self.now_ms, old["updatedAt"] + 1)
        store.batches[batch_id] = new
        self.changes.append(
            Change("BatchTaskRun", batch_id, copy.deepcopy(old), copy.deepcopy(new))
        )
        return copy.deepcopy(new)


class Store:
    """Thread-safe in-memory state with a commit log."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock: threading.RLock = threading.RLock()
        self.notifier: Notifier = Notifier()
        self.environments: dict[str, Environment] = {}
        self._env_by_key: dict[str, Environment] = {}
        self._additional_keys: dict[str, Environment] = {}
        self.runs: dict[str, Row] = {}
        self.run_ids_by_friendly: dict[str, str] = {}
        self.batches: dict[str, Row] = {}
        self.batch_ids_by_friendly: dict[str, str] = {}
        self.blobs: dict[tuple[str, str], Blob] = {}
        self.run_numbers: dict[tuple[str, str], int] = {}
        self.lsn: int = 24_000_000
        self.xid: int = 750
        self.closing = False
        self._listeners: list[CommitListener] = []
        self._local = threading.local()

    # -- environments -------------------------------------------------------------------------
    def add_environment(
        self,
        *,
        api_key: str | None = None,
        slug: str = "dev",
        env_type: str = "DEVELOPMENT",
        name: str | None = None,
    ) -> Environment:
        prefix = {"DEVELOPMENT": "dev", "PRODUCTION": "prod", "STAGING": "stg"}.get(
            env_type, "preview"
        )
        env = Environment(
            id=new_cuid(),
            api_key=api_key or new_secret_key(prefix),
            slug=slug,
            type=env_type,
            name=name or env_type.title(),
        )
        with self.lock:
            if env.api_key in self._env_by_key:
                raise ValueError("an environment with this secret key exists already")
            self.environments[env.id] = env
            self._env_by_key[env.api_key] = env
        return env

    def environment_by_key(self, api_key: str) -> Environment | None:
        """The environment of a root secret key or of an additional API key."""
        with self.lock:
            return self._env_by_key.get(api_key) or self._additional_keys.get(api_key)

    def add_api_key(self, env_id: str) -> str:
        """An additional API key (``tr_<env>_sk_`` and 24 alphanumerics) with full access to the
        environment. The server authenticates it, but tokens it signs do not verify: public
        tokens are signed with the environment's root key (row R-TOKEN-ADDITIONAL-KEY)."""
        with self.lock:
            env = self.environments[env_id]
            prefix = env.api_key.split("_")[1] if env.api_key.count("_") >= 2 else "dev"
            key = f"tr_{prefix}_sk_" + new_secret_key(prefix)[-20:] + new_secret_key()[-4:]
            self._additional_keys[key] = env
            return key

    def is_additional_key(self, api_key: str) -> bool:
        with self.lock:
            return api_key in self._additional_keys

    def rotate_key(self, env_id: str, new_key: str | None = None) -> Environment:
        """Give an environment a new root secret key (the old one stops working)."""
        with self.lock:
            old = self.environments[env_id]
            prefix = old.api_key.split("_")[1] if old.api_key.count("_") >= 2 else "dev"
            env = Environment(
                id=old.id,
                api_key=new_key or new_secret_key(prefix),
                slug=old.slug,
                type=old.type,
                name=old.name,
                project_id=old.project_id,
                project_ref=old.project_ref,
                organization_id=old.organization_id,
            )
            del self._env_by_key[old.api_key]
            self.environments[env.id] = env
            self._env_by_key[env.api_key] = env
            return env

    # -- reads --------------------------------------------------------------------------------
    def run(self, run_id: str) -> Row | None:
        """A copy of a run row by internal id or friendly id."""
        with self.lock:
            internal = self.run_ids_by_friendly.get(run_id, run_id)
            row = self.runs.get(internal)
            return copy.deepcopy(row) if row is not None else None

    def run_internal_id(self, run_id: str) -> str | None:
        with self.lock:
            if run_id in self.runs:
                return run_id
            return self.run_ids_by_friendly.get(run_id)

    def find_run(self, env_id: str, friendly: str) -> Row | None:
        """The run with this friendly id in this environment (what the routes look up)."""
        with self.lock:
            internal = self.run_ids_by_friendly.get(friendly)
            row = self.runs.get(internal) if internal else None
            if row is None or row["runtimeEnvironmentId"] != env_id:
                return None
            return copy.deepcopy(row)

    def batch(self, batch_id: str) -> Row | None:
        with self.lock:
            internal = self.batch_ids_by_friendly.get(batch_id, batch_id)
            row = self.batches.get(internal)
            return copy.deepcopy(row) if row is not None else None

    def find_batch(self, env_id: str, friendly: str) -> Row | None:
        with self.lock:
            internal = self.batch_ids_by_friendly.get(friendly)
            row = self.batches.get(internal) if internal else None
            if row is None or row["runtimeEnvironmentId"] != env_id:
                return None
            return copy.deepcopy(row)

    def runs_where(self, predicate: Callable[[Row], bool]) -> list[Row]:
        with self.lock:
            return [copy.deepcopy(r) for r in self.runs.values() if predicate(r)]

    def next_run_number(self, env_id: str, task: str) -> int:
        with self.lock:
            n = self.run_numbers.get((env_id, task), 0) + 1
            self.run_numbers[(env_id, task)] = n
            return n

    # -- writes -------------------------------------------------------------------------------
    def add_commit_listener(self, listener: CommitListener) -> None:
        with self.lock:
            self._listeners.append(listener)

    @contextmanager
    def transaction(self) -> Iterator[TxWriter]:
        """A write transaction; nested calls in one thread join the outer one."""
        current: TxWriter | None = getattr(self._local, "tx", None)
        if current is not None:
            yield current
            return
        with self.lock:
            writer = TxWriter(self)
            self._local.tx = writer
            try:
                yield writer
            except BaseException:
                self._rollback(writer.changes)
                raise
            finally:
                self._local.tx = None
            keys = self._commit(writer.changes)
        if keys:
            self.notifier.notify(keys)

    def _rollback(self, changes: list[Change]) -> None:
        for change in reversed(changes):
            table = self.runs if change.table == "TaskRun" else self.batches
            index = (
                self.run_ids_by_friendly
                if change.table == "TaskRun"
                else self.batch_ids_by_friendly
            )
            if change.old is None:
                row = table.pop(change.id, None)
                if row is not None:
                    index.pop(row["friendlyId"], None)
            else:
                table[change.id] = dict(change.old)

    def _commit(self, changes: list[Change]) -> list[Hashable]:
        if not changes:
            return []
        self.lsn += 1
        self.xid += 1
        tx = Transaction(self.lsn, self.xid, tuple(changes))
        keys: list[Hashable] = []
        for change in changes:
            keys.append((change.table, change.id))
            row = change.new or change.old or {}
            env_id = row.get("runtimeEnvironmentId")
            if env_id:
                keys.append(("env", env_id))
        for listener in self._listeners:
            keys.extend(listener(tx))
        return keys

    def put_blob(self, env_id: str, path: str, content: bytes, content_type: str) -> None:
        with self.lock:
            self.blobs[(env_id, path)] = Blob(content, content_type)

    def get_blob(self, env_id: str, path: str) -> Blob | None:
        with self.lock:
            return self.blobs.get((env_id, path))


def new_run_ids() -> tuple[str, str]:
    """(internal id, friendly id) for a new run."""
    internal = new_cuid()
    return internal, friendly_id("run", internal)
