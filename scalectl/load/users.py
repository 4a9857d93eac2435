"""Locust user classes and load shapes built from a scenario (child process only: imports locust).

* closed model: ``ScenarioUser`` picks a request by weight, then thinks; ``StagesShape`` walks the
  stages (users, spawn rate, duration).
* open model: a process-wide ``ArrivalSchedule`` hands out intended send times at the stage's rate
  (this process's share of it); a pool of ``OpenUser`` claims them, sleeps until the intended time
  and sends; latency is recorded from the intended time, so a stalled target shows (wrk2's correction).
"""

from __future__ import annotations

import itertools
import random
import re
import time
from typing import Any

import gevent
from locust import FastHttpUser, LoadTestShape, constant, task

from scalectl.load.users_schedule import ArrivalSchedule

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ids = itertools.count()


def _fill(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str):
        m = _PLACEHOLDER.fullmatch(value)
        if m and m[1] in params:
            return params[m[1]]
        return _PLACEHOLDER.sub(lambda mm: str(params.get(mm[1], mm[0])), value)
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    return value


class _Mix:
    """The request mix of a scenario, with parameter drawing."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.requests = [_prepare(r) for r in scenario["requests"]]
        self.weights = list(itertools.accumulate(r.get("weight", 1.0) for r in self.requests))
        self.identity = scenario.get("identity", {})

    def pick(self, rng: random.Random) -> dict[str, Any]:
        if len(self.requests) == 1:
            return self.requests[0]
        return rng.choices(self.requests, cum_weights=self.weights, k=1)[0]

    @staticmethod
    def draw(spec: dict[str, Any], rng: random.Random, uid: str) -> Any:
        if spec.get("range") is not None:
            lo, hi = spec["range"]
            return rng.randint(lo, hi)
        if spec.get("choice") is not None:
            return rng.choice(spec["choice"])
        if spec.get("user"):
            return uid
        return spec.get("value")


def _user_setup(user: Any, mix: _Mix, worker: int) -> None:
    n = next(_ids)
    ident = mix.identity
    pool = ident.get("pool", 0)
    user.uid = (
        f"{ident.get('prefix', 'vu')}-{n % pool}" if pool else f"{ident.get('prefix', 'vu')}-{worker}-{n}"
    )
    user.rng = random.Random()
    user.auth = {}
    if ident.get("enabled", True):
        scheme = ident.get("scheme", "Bearer")
        user.auth = {ident.get("header", "Authorization"): f"{scheme} {user.uid}".strip()}


def _prepare(req: dict[str, Any]) -> dict[str, Any]:
    """Per-request constants, computed once (the hot path only fills parameters)."""
    params = req.get("params") or {}
    return {
        **req,
        "_name": req.get("name") or req["path"].split("?", 1)[0],
        "_expect": frozenset(req.get("expect") or ()),
        "_params": list(params.items()),
        "_templated": bool(_PLACEHOLDER.search(req["path"])),
        "_headers": dict(req.get("headers") or {}),
    }


def _send(user: Any, mix: _Mix, req: dict[str, Any], intended: float | None) -> None:
    rng, uid = user.rng, user.uid
    params = {k: mix.draw(spec, rng, uid) for k, spec in req["_params"]} if req["_params"] else {}
    path = (
        _PLACEHOLDER.sub(lambda m: str(params.get(m[1], m[0])), req["path"])
        if req["_templated"]
        else req["path"]
    )
    kwargs: dict[str, Any] = {
        "headers": {**user.auth, **req["_headers"]} if req["_headers"] else user.auth,
        "catch_response": True,
    }
    if req.get("body") is not None:
        kwargs["json"] = _fill(req["body"], params)
    if intended is not None:
        kwargs["context"] = {"scalectl_intended": intended}
    expect = req["_expect"]
    with user.client.request(req["method"], path, name=req["_name"], **kwargs) as resp:
        code = resp.status_code or 0
        if code == 0:
            return  # connection error / timeout: already a failure
        if (code in expect) if expect else (200 <= code < 400):
            resp.success()
        else:
            resp.failure(f"unexpected status {code}")


def make_classes(config: dict[str, Any]) -> dict[str, type]:
    """The user class and shape class for a scenario config (names as they appear in the locustfile)."""
    scenario = config["scenario"]
    mix = _Mix(scenario)
    load = scenario["load"]
    timeout = float(scenario.get("timeout", 10.0))
    if load.get("model", "closed") == "closed":
        think = scenario.get("think_time") or {"min": 0.0, "max": 0.0}
        return _closed_classes(mix, load["stages"], timeout, think)
    share = 1.0 / max(1, int(config.get("workers", 0)) or 1)
    return _open_classes(mix, load, timeout, share)


def _worker_index(env: Any) -> int:
    return max(0, getattr(env.runner, "worker_index", 0) or 0)


def _closed_classes(
    mix: _Mix, stages: list[dict[str, Any]], timeout: float, think: dict[str, float]
) -> dict[str, type]:
    """Closed model: virtual users that send, think and send again; the users follow the stages."""

    def wait_time(self: Any) -> float:
        lo, hi = think["min"], think["max"]
        return lo if hi <= lo else self.rng.uniform(lo, hi)

    class ScenarioUser(FastHttpUser):
        abstract = False
        network_timeout = timeout
        connection_timeout = timeout

        def on_start(self) -> None:
            _user_setup(self, mix, _worker_index(self.environment))

        @task
        def send_one(self) -> None:
            _send(self, mix, mix.pick(self.rng), None)

    ScenarioUser.wait_time = wait_time  # type: ignore[method-assign]

    class StagesShape(LoadTestShape):
        abstract = False

        def tick(self) -> tuple[int, float] | None:
            t = self.get_run_time()
            for s in stages:
                if t < s["duration"]:
                    return int(s["users"]), float(s["spawn_rate"])
                t -= s["duration"]
            return None

    return {"ScenarioUser": ScenarioUser, "StagesShape": StagesShape}


def _open_classes(mix: _Mix, load: dict[str, Any], timeout: float, share: float) -> dict[str, type]:
    """Open model: a pool of users that send at the arrival schedule's intended times (this worker's
    ``share`` of the rate), kept up until the schedule is over."""
    schedule_box: dict[str, ArrivalSchedule] = {}
    open_stages = load["stages"]
    total = sum(s["duration"] for s in open_stages)
    pool = int(load.get("max_users", 100))

    class OpenUser(FastHttpUser):
        abstract = False
        network_timeout = timeout
        connection_timeout = timeout
        wait_time = constant(0)

        def on_start(self) -> None:
            _user_setup(self, mix, _worker_index(self.environment))
            if "s" not in schedule_box:
                schedule_box["s"] = ArrivalSchedule(open_stages, share, time.time())

        @task
        def send_one(self) -> None:
            intended = schedule_box["s"].claim()
            if intended is None:
                gevent.sleep(0.2)
                return
            delay = intended - time.time()
            if delay > 0:
                gevent.sleep(delay)
            _send(self, mix, mix.pick(self.rng), intended)

    class PoolShape(LoadTestShape):
        abstract = False

        def tick(self) -> tuple[int, float] | None:
            # keep the pool up until the schedule is over and in-flight requests had time to finish
            if self.get_run_time() < total + min(timeout, 2.0):
                return pool, float(max(pool * 5, 100))
            return None

    return {"OpenUser": OpenUser, "PoolShape": PoolShape}
