"""A FastAPI endpoint that triggers a task and hands the browser a scoped public access token.

    pip install fastapi 'trigger-client[testing]'     # uvicorn comes with the testing extra
    export TRIGGER_SECRET_KEY=tr_dev_...              # stays on the server
    python examples/fastapi_app.py                    # or: uvicorn examples.fastapi_app:app

`POST /reports` with `{"quarter": "2026-Q3"}` triggers the `generate-report` task and answers
`{"run_id": ..., "public_access_token": ..., "api_url": ...}`. The token can read that one run,
and nothing else, for 15 minutes: the browser follows the run with it, without ever seeing the
secret key. With Trigger.dev's React hooks:

    const { run } = useRealtimeRun(runId, { accessToken: publicAccessToken, baseURL: apiUrl });

or from Python: `runs.subscribe_to_run(run_id, access_token=public_access_token)`.
`GET /reports/{run_id}` answers the run's status, for clients that poll the server instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from trigger_client import APIError, AsyncTriggerClient, NotFoundError, Scopes

TASK = "generate-report"
TOKEN_LIFETIME = "15m"


class ReportRequest(BaseModel):
    quarter: str


class ReportStarted(BaseModel):
    run_id: str
    public_access_token: str
    """Reads this run only, for 15 minutes: safe to hand to the browser."""
    api_url: str


class ReportStatus(BaseModel):
    run_id: str
    status: str
    finished: bool
    output: object | None = None
    error: str | None = None


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # One client for the whole app (it holds the connection pool), configured from the
    # environment: TRIGGER_SECRET_KEY and TRIGGER_API_URL. Closed when the app stops.
    async with AsyncTriggerClient() as client:
        app.state.trigger = client
        yield


app = FastAPI(title="reports", lifespan=lifespan)


def trigger_client(request: Request) -> AsyncTriggerClient:
    client = request.app.state.trigger
    assert isinstance(client, AsyncTriggerClient)
    return client


Trigger = Annotated[AsyncTriggerClient, Depends(trigger_client)]


@app.post("/reports", status_code=202)
async def start_report(body: ReportRequest, client: Trigger) -> ReportStarted:
    try:
        handle = await client.tasks.trigger(
            TASK, {"quarter": body.quarter}, tags=[f"quarter:{body.quarter}"]
        )
        # handle.public_access_token already reads this run for an hour; mint a shorter-lived one
        # with exactly the scope the browser needs.
        token = await client.auth.create_public_token(
            scopes=Scopes.read_run(handle.id), expiration_time=TOKEN_LIFETIME
        )
    except APIError as exc:
        raise HTTPException(status_code=502, detail=f"could not start the report: {exc}") from exc
    return ReportStarted(run_id=handle.id, public_access_token=token, api_url=client.base_url)


@app.get("/reports/{run_id}")
async def report_status(run_id: str, client: Trigger) -> ReportStatus:
    try:
        run = await client.runs.retrieve(run_id)
    except NotFoundError as exc:
        raise HTTPException(status_code=404, detail="no such report") from exc
    except APIError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from exc
    return ReportStatus(
        run_id=run.id,
        status=str(run.status),
        finished=run.is_finished,
        output=run.output if run.is_success else None,
        error=run.error.message if run.error else None,
    )


def main() -> None:
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=8000)


if __name__ == "__main__":
    main()
