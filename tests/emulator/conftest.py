"""Fixtures and a small shape-protocol client for the emulator's own tests (real HTTP)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx
import pytest

from trigger_client.testing import TriggerEmulator

ELECTRIC_HEADERS = {"x-trigger-electric-version": "1.0.0-beta.1"}


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **ELECTRIC_HEADERS, **extra}


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    """A plain client (no base URL, no auth), shared: creating one costs ~20 ms."""
    with httpx.Client(timeout=30) as c:
        yield c


@pytest.fixture
def emu() -> Iterator[TriggerEmulator]:
    with TriggerEmulator(long_poll_ms=500) as emulator:
        yield emulator


@pytest.fixture
def native() -> Iterator[TriggerEmulator]:
    with TriggerEmulator(backend="native", long_poll_ms=500, native_jitter=0) as emulator:
        yield emulator


@pytest.fixture(params=["electric", "native"])
def any_emu(request: pytest.FixtureRequest) -> Iterator[TriggerEmulator]:
    with TriggerEmulator(backend=request.param, long_poll_ms=500, native_jitter=0) as emulator:
        yield emulator


@pytest.fixture
def client(emu: TriggerEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, headers=auth(emu.secret_key), timeout=30) as c:
        yield c


class Feed:
    """Follows the shape protocol like the official client: snapshot, catch-up, live."""

    def __init__(
        self,
        emulator: TriggerEmulator,
        path: str,
        *,
        token: str | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.path = path
        self.params = dict(params or {})
        self.http = httpx.Client(
            base_url=emulator.base_url,
            headers={**auth(token or emulator.secret_key), **(headers or {})},
            timeout=30,
        )
        self.offset = "-1"
        self.handle: str | None = None
        self.cursor: str | None = None
        self.schema: dict[str, Any] | None = None
        self.up_to_date = False
        self.rows: dict[str, dict[str, Any]] = {}
        self.responses: list[httpx.Response] = []

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Feed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self) -> httpx.Response:
        params = dict(self.params)
        params["offset"] = self.offset
        if self.up_to_date:
            params["live"] = "true"
            params["cursor"] = self.cursor or ""
        if self.handle:
            params["handle"] = self.handle
        response = self.http.get(self.path, params=dict(sorted(params.items())))
        self.responses.append(response)
        return response

    def step(self) -> list[dict[str, Any]]:
        """One request; applies the response and returns its messages."""
        response = self.request()
        if response.status_code == 409:
            self.handle = response.headers.get("electric-handle")
            self.offset = "-1"
            self.cursor = None
            self.schema = None
            self.up_to_date = False
            self.rows.clear()
            messages: list[dict[str, Any]] = response.json()
            return messages
        assert response.status_code == 200, (response.status_code, response.text)
        self.handle = response.headers["electric-handle"]
        self.offset = response.headers["electric-offset"]
        self.cursor = response.headers.get("electric-cursor", self.cursor)
        if self.schema is None and "electric-schema" in response.headers:
            self.schema = json.loads(response.headers["electric-schema"])
        messages = response.json()
        for message in messages:
            if "key" in message:
                op = message["headers"]["operation"]
                if op == "insert":
                    self.rows[message["key"]] = dict(message["value"])
                elif op == "update":
                    self.rows.setdefault(message["key"], {}).update(message["value"])
                elif op == "delete":
                    self.rows.pop(message["key"], None)
        if messages and messages[-1].get("headers", {}).get("control") == "up-to-date":
            self.up_to_date = True
        return messages

    def sync(self, max_steps: int = 10) -> None:
        """Requests until up to date."""
        for _ in range(max_steps):
            self.step()
            if self.up_to_date:
                return
        raise AssertionError("never reached up-to-date")

    def single(self) -> dict[str, Any]:
        assert len(self.rows) == 1, self.rows
        return next(iter(self.rows.values()))


FeedFactory = Callable[..., Feed]


@pytest.fixture
def feed_factory() -> Iterator[FeedFactory]:
    """Make feeds (``factory(emulator, path, **options)``); they are closed after the test."""
    feeds: list[Feed] = []

    def make(emulator: TriggerEmulator, path: str, **kwargs: Any) -> Feed:
        feed = Feed(emulator, path, **kwargs)
        feeds.append(feed)
        return feed

    yield make
    for feed in feeds:
        feed.close()
