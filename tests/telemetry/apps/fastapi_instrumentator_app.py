"""A FastAPI app instrumented with prometheus-fastapi-instrumentator, its defaults (run by uvicorn)."""

import time

from fastapi import FastAPI, HTTPException
from fastapi.responses import PlainTextResponse
from prometheus_fastapi_instrumentator import Instrumentator

app = FastAPI()


@app.get("/items/{item_id}")
def item(item_id: int) -> dict:
    time.sleep(0.02)
    return {"id": item_id}


@app.get("/missing")
def missing() -> None:
    raise HTTPException(status_code=404)


@app.get("/boom")
def boom() -> PlainTextResponse:
    return PlainTextResponse("boom", status_code=500)


Instrumentator(should_instrument_requests_inprogress=True).instrument(app).expose(app)
