"""A Starlette app instrumented with starlette-exporter, its defaults (run by uvicorn)."""

import time

from starlette.applications import Starlette
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette_exporter import PrometheusMiddleware, handle_metrics


def item(request):
    time.sleep(0.02)
    return JSONResponse({"id": request.path_params["item_id"]})


def missing(request):
    return PlainTextResponse("no", status_code=404)


def boom(request):
    return PlainTextResponse("boom", status_code=500)


app = Starlette(
    routes=[
        Route("/items/{item_id:int}", item),
        Route("/missing", missing),
        Route("/boom", boom),
        Route("/metrics", handle_metrics),
    ]
)
app.add_middleware(PrometheusMiddleware)
