"""A FastAPI endpoint that triggers a task and relays what it streams to the browser, as it is written.

    pip install fastapi 'trigger-client[testing]'     # uvicorn comes with the testing extra
    export TRIGGER_SECRET_KEY=tr_dev_...              # stays on the server
    python examples/fastapi_stream.py                 # or: uvicorn examples.fastapi_stream:app

`GET /ask?question=...` triggers the `answer-question` task, whose code streams its answer
(`metadata.stream("answer", ...)` in v3, `streams.pipe(...)` in v4), and answers with Server-Sent
Events the browser reads with `EventSource`:

    event: status   data: {"status": "EXECUTING"}       each time the run changes
    event: answer   data: "Hel"                         each chunk of the "answer" stream
    event: done     data: {"status": "COMPLETED", "output": ...}    once, at the end

    const source = new EventSource(`/ask?question=${encodeURIComponent(q)}`);
    source.addEventListener("answer", (e) => (answer.textContent += JSON.parse(e.data)));
    source.addEventListener("done", () => source.close());
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import StreamingResponse

from trigger_client import APIError, AsyncTriggerClient, RunUpdate, StreamChunk

TASK = "answer-question"
STREAM = "answer"
TIMEOUT = 300.0  # seconds: the longest an answer may take


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client for the whole app, configured from TRIGGER_SECRET_KEY and TRIGGER_API_URL.
    async with AsyncTriggerClient() as client:
        app.state.trigger = client
        yield


app = FastAPI(title="answers", lifespan=lifespan)


def trigger_client(request: Request) -> AsyncTriggerClient:
    client = request.app.state.trigger
    assert isinstance(client, AsyncTriggerClient)
    return client


Trigger = Annotated[AsyncTriggerClient, Depends(trigger_client)]


def sse(event: str, data: Any) -> str:
    """One Server-Sent Event (the data as one line of JSON)."""
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def relay(client: AsyncTriggerClient, run_id: str) -> AsyncIterator[str]:
    last_status = None
    subscription = client.runs.subscribe_to_run(run_id, timeout=TIMEOUT)
    # Closed when the browser goes away (the generator is closed), the run finished and its
    # streams ended, or the timeout passed.
    async with subscription.with_streams() as parts:
        try:
            async for part in parts:
                if isinstance(part, StreamChunk) and part.stream == STREAM:
                    yield sse(STREAM, part.chunk)
                elif isinstance(part, RunUpdate) and part.run.status != last_status:
                    last_status = part.run.status
                    yield sse("status", {"status": str(part.run.status)})
        except APIError as exc:
            yield sse("error", {"message": str(exc)})
            return
    run = parts.last_run
    if run is not None:
        error = run.error.message if run.error else None
        yield sse("done", {"status": str(run.status), "output": run.output, "error": error})


@app.get("/ask")
async def ask(question: str, client: Trigger) -> StreamingResponse:
    try:
        handle = await client.tasks.trigger(TASK, {"question": question})
    except APIError as exc:
        raise HTTPException(status_code=502, detail=f"could not start the task: {exc}") from exc
    return StreamingResponse(
        relay(client, handle.id),
        media_type="text/event-stream",
        headers={"cache-control": "no-cache", "x-run-id": handle.id},
    )


def main() -> None:
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
