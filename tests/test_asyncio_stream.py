"""The lean asyncio network stream of realtime connections, against a real loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpcore
import pytest

from trigger_client._asyncio_stream import AsyncioBackend

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("no_leaked_sockets")]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # this stream is the asyncio one (trio uses httpcore's anyio backend)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], "asyncio.Future[None] | None"]


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[int]:
    srv = await asyncio.start_server(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        srv.close()
        await srv.wait_closed()


async def test_reads_what_arrives_in_pieces_no_larger_than_asked() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert await reader.readexactly(4) == b"ping"
        writer.write(b"0123456789")
        await writer.drain()
        writer.close()

    async with server(handler) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        await stream.write(b"ping")
        received = b""
        while True:
            data = await stream.read(4, timeout=5)
            assert len(data) <= 4
            if not data:
                break
            received += data
        assert received == b"0123456789"
        assert stream.get_extra_info("is_readable")  # the server closed it
        await stream.aclose()


async def test_a_read_times_out() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # never answers
        writer.close()

    async with server(handler) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        assert not stream.get_extra_info("is_readable")
        with pytest.raises(httpcore.ReadTimeout):
            await stream.read(1024, timeout=0.2)
        await stream.aclose()
        with pytest.raises(httpcore.WriteError):
            await stream.write(b"x")


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with server(lambda r, w: None) as port:
        pass  # closed: nothing listens on the port any more
    with pytest.raises(httpcore.ConnectError):
        await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)


async def test_cancelling_a_blocked_read_leaves_no_waiter() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    async with server(handler) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        task = asyncio.ensure_future(stream.read(1024, timeout=None))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert stream._protocol.waiter is None  # type: ignore[attr-defined]
        await stream.aclose()
