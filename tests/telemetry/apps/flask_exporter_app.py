"""A Flask app instrumented with prometheus-flask-exporter, its defaults (run by gunicorn, 1 worker)."""

import time

from flask import Flask, abort
from prometheus_flask_exporter import PrometheusMetrics

app = Flask(__name__)
metrics = PrometheusMetrics(app)


@app.get("/items/<int:item_id>")
def item(item_id: int):
    time.sleep(0.02)
    return {"id": item_id}


@app.get("/missing")
def missing():
    abort(404)


@app.get("/boom")
def boom():
    return "boom", 500
