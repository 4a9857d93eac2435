"""scalectl's measurement inside the Locust child process (this module imports locust and gevent).

Imported only by the generated locustfile (``scalectl.load.locustgen``) or the plugin file injected
next to a user's own locustfile; never by the CLI. It:

* records every request into HDR histograms per endpoint per second (``Recorder``), with the
  failure kind; in the open model latency runs from the *intended* send time (coordinated omission);
* ships a worker's recording to the master once a second and at stop (custom message
  ``scalectl_batch``), where batches merge exactly; each batch carries the worker's running count of
  recorded requests, and the last one (after its users stopped) says ``final``;
* at the end of a run, the master asks every worker to stop its users and send its final batch
  (``scalectl_drain``) and waits for it before Locust's quit: Locust's own quit waits only 0.5 s for
  the workers' last reports, which a saturated worker misses (issue 15: up to 4.8 % of the requests);
  the master's ledger (``scalectl.load.accounting``) says how many requests a lost worker took along;
* writes progress lines (JSON) and, at quit, the raw results (JSON) for the parent process.

Master-only settings come from the environment: ``SCALECTL_PROGRESS``, ``SCALECTL_RESULTS``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from typing import Any

import gevent
import gevent.lock
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from scalectl import histograms
from scalectl.load.accounting import Ledger
from scalectl.load.recorder import Recorder, classify

BATCH_MESSAGE = "scalectl_batch"
DRAIN_MESSAGE = "scalectl_drain"
#: How long the master waits for the workers' final batches beyond Locust's stop timeout (a saturated
#: worker needs time to stop its users and ship); a worker not heard from by then is lost.
FINAL_WAIT_S = 20.0
#: A worker that stopped answering heartbeats (Locust: missing) is waited for this much less long.
MISSING_WAIT_S = 4.0


class _State:
    def __init__(self) -> None:
        self.recorder = Recorder()
        self.environment: Any = None
        self.runner: Any = None
        self.t_start: float | None = None
        self.users: dict[int, int] = {}
        self.workers_seen: set[str] = set()
        self.lost_workers: list[str] = []
        self.ledger = Ledger()
        self.worker_pids: dict[str, int] = {}
        self.progress_path = os.environ.get("SCALECTL_PROGRESS")
        self.results_path = os.environ.get("SCALECTL_RESULTS")
        self.written = False
        #: tests: a worker also keeps what it shipped and writes it here (``SCALECTL_WORKER_DUMP`` dir)
        self.dump_dir = os.environ.get("SCALECTL_WORKER_DUMP")
        self.shipped = Recorder() if self.dump_dir else None
        #: bench/accuracy: every recorded latency, raw, one "key<TAB>ms" line (``SCALECTL_RAW_LATENCIES``)
        raw = os.environ.get("SCALECTL_RAW_LATENCIES")
        self.raw = open(raw, "a", buffering=1 << 16) if raw else None  # noqa: SIM115

    # -------------------------------------------------------------- recording (hot path)
    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int = 0,
        response: Any = None,
        context: Any = None,
        exception: Any = None,
        start_time: float | None = None,
        **_kw: Any,
    ) -> None:
        now = time.time()
        latency = response_time
        if context:
            intended = context.get("scalectl_intended")
            if intended is not None and start_time is not None:
                latency = response_time + (start_time - intended) * 1000.0
        kind = None
        if exception is not None:
            kind = classify(getattr(response, "status_code", 0) or 0, exception)
        self.recorder.record(int(now), f"{request_type} {name}", name, request_type, latency, kind)
        if self.raw is not None:
            self.raw.write(f"{request_type} {name}\t{latency!r}\n")

    # -------------------------------------------------------------- lifecycle
    def on_init(self, environment: Any, runner: Any = None, **_kw: Any) -> None:
        self.environment = environment
        self.runner = runner
        if isinstance(runner, MasterRunner):
            runner.register_message(BATCH_MESSAGE, self.on_batch)
            _serialize_quit(runner)
        elif isinstance(runner, WorkerRunner):
            runner.register_message(DRAIN_MESSAGE, self.on_drain, concurrent=True)
            gevent.spawn(self._ship_loop)
        if not isinstance(runner, WorkerRunner):
            # Locust installs its own SIGTERM handler only after a headless shape test has ended;
            # until then, SIGTERM (sent by the parent on Ctrl-C) stops the users gracefully here.
            gevent.signal_handler(signal.SIGTERM, lambda: gevent.spawn(self._on_term))
            environment.events.quit.add_listener(self.on_quit)
            gevent.spawn(self._progress_loop)

    def _on_term(self) -> None:
        if self.runner.state in ("stopped", "stopping", "cleanup"):
            return  # already ending (a master collecting its workers' final batches)
        if isinstance(self.runner, MasterRunner):
            # a master's stop() leaves it running: quit, which first collects the final batches
            self.runner.quit()
        else:
            self.runner.stop()  # ends the shape greenlet; Locust then quits the normal way

    def on_test_start(self, environment: Any, **_kw: Any) -> None:
        if self.t_start is None:
            self.t_start = time.time()
            self.ledger.t_start = self.t_start

    def on_test_stop(self, environment: Any, **_kw: Any) -> None:
        if isinstance(self.runner, WorkerRunner):
            # the users have stopped (in-flight requests finished or were given up after the stop
            # timeout): everything this worker will ever record is in this batch or an earlier one
            self._ship(final=True)
            if self.dump_dir and self.shipped is not None:
                path = os.path.join(self.dump_dir, f"worker-{os.getpid()}.json")
                with open(path, "w") as fh:
                    json.dump(self.shipped.drain(), fh)
        elif isinstance(self.runner, MasterRunner):
            self._collect_finals()

    def on_drain(self, environment: Any, msg: Any, **_kw: Any) -> None:
        """Worker: the master ends the run; stop the users (test_stop then ships the final batch)."""
        state = self.runner.state
        if state == "stopped":
            self._ship(final=True)
        elif state not in ("stopping", "cleanup"):  # else a stop is under way: its test_stop ships
            self.runner.stop()

    def on_batch(self, environment: Any, msg: Any, **_kw: Any) -> None:
        data = msg.data
        self.recorder.add_batch(data)
        meta = data.get("worker") or {}
        if meta.get("pid"):
            self.worker_pids[msg.node_id] = int(meta["pid"])
        requests = sum(int(slot[2]) for slot in data.get("slots", []))
        self.ledger.add(msg.node_id, requests, meta, time.time())

    def _ship(self, final: bool = False) -> None:
        batch = self.recorder.drain()
        if batch["slots"] or final:
            batch["worker"] = {"recorded": self.recorder.recorded, "final": final, "pid": os.getpid()}
            self.runner.send_message(BATCH_MESSAGE, batch)
            if self.shipped is not None:
                self.shipped.add_batch(batch)

    def _known_workers(self) -> set[str]:
        return {c.id for c in self.runner.clients.all} | self.workers_seen

    def _collect_finals(self) -> None:
        """Master, at stop: ask each worker whose account is open to stop and send its final batch,
        and wait for them (the client listener keeps receiving while this greenlet sleeps)."""
        runner = self.runner
        asked: set[str] = set()
        start = time.monotonic()
        limit = float(self.environment.stop_timeout or 0.0) + FINAL_WAIT_S
        while pending := self.ledger.pending(self._known_workers()):
            clients = {c.id: c.state for c in runner.clients.all}
            for wid in pending:
                if wid in clients and wid not in asked:
                    asked.add(wid)
                    with contextlib.suppress(Exception):
                        runner.send_message(DRAIN_MESSAGE, None, client_id=wid)
            waited = time.monotonic() - start
            reachable = [w for w in pending if clients.get(w) not in (None, "missing")]
            if waited > limit or (not reachable and waited > MISSING_WAIT_S):
                break
            gevent.sleep(0.05)

    def _ship_loop(self) -> None:
        while True:
            gevent.sleep(1.0)
            with contextlib.suppress(Exception):  # a broken connection is the master's to report
                self._ship()

    def _workers(self) -> None:
        runner = self.runner
        if not isinstance(runner, MasterRunner) or runner.state not in ("running", "spawning"):
            return  # workers leave at the end of a run; only a disappearance mid-run is a loss
        present = {c.id: c.state for c in runner.clients.all}
        for cid, state in present.items():
            self.workers_seen.add(cid)
            if state == "missing" and cid not in self.lost_workers:
                self.lost_workers.append(cid)
        for cid in self.workers_seen:
            if cid not in present and cid not in self.lost_workers:
                self.lost_workers.append(cid)

    def _progress_loop(self) -> None:
        out = open(self.progress_path, "a", buffering=1) if self.progress_path else None  # noqa: SIM115
        try:
            while True:
                gevent.sleep(1.0 - (time.time() % 1.0) + 0.05)
                now = int(time.time())
                runner = self.runner
                if self.t_start is not None:
                    self.users[now] = int(runner.user_count)
                self._workers()
                if out is None:
                    continue
                # the last second complete here: a worker ships once a second at its own phase, so
                # on a master the second before last is the newest with every worker's requests in
                last = now - (2 if isinstance(runner, MasterRunner) else 1)
                req, fail, _ = self.recorder.window([last])
                _, _, hist = self.recorder.window(range(last - 4, last + 1))
                total_req = sum(s.requests for s in self.recorder.slots.values())
                total_fail = sum(s.failures for s in self.recorder.slots.values())
                line = {
                    "t": now,
                    "elapsed": (time.time() - self.t_start) if self.t_start else 0.0,
                    "users": int(runner.user_count),
                    "rps": req,
                    "p95_ms": histograms.percentile_ms(hist, 95),
                    "requests": total_req,
                    "failures": total_fail,
                    "last_failures": fail,
                    "workers": runner.worker_count if isinstance(runner, MasterRunner) else 0,
                    "lost_workers": list(self.lost_workers),
                    "state": runner.state,
                }
                out.write(json.dumps(line) + "\n")
        finally:
            if out is not None:
                out.close()

    def on_quit(self, exit_code: int = 0, **_kw: Any) -> None:
        self.write_results()

    def write_results(self) -> None:
        if self.raw is not None:
            self.raw.flush()
        if self.written or not self.results_path:
            return
        self.written = True
        import locust

        distributed = isinstance(self.runner, MasterRunner)
        known = self._known_workers() if distributed else set()
        accounts = self.ledger.summary(known)["workers"]
        for row in accounts:
            row["pid"] = self.worker_pids.get(row["worker"])
        data = {
            "t_start": self.t_start,
            "t_end": time.time(),
            "users": self.users,
            "batch": self.recorder.drain(),
            "workers_seen": sorted(known),
            # lost: every worker whose account did not close (no final batch, or batches missing)
            "lost_workers": [r["worker"] for r in accounts if not r["final"]],
            "missed_heartbeats": [w for w in self.lost_workers if self.ledger.get(w).final],
            "worker_accounts": accounts,
            "locust_version": locust.__version__,
        }
        tmp = self.results_path + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self.results_path)


def _serialize_quit(runner: MasterRunner) -> None:
    """A master's ``quit`` runs once, and a second caller waits for the first to finish.

    On SIGTERM during a shape test, two greenlets quit the master: this plugin's handler, and Locust's
    main greenlet once the shape greenlet it waits on has been killed. Locust's quit kills the message
    listener 0.5 s after telling the workers to quit, so the second quit ended the first one's wait for
    the workers' final batches (``_State._collect_finals``, run from ``test_stop`` inside the first).
    """
    original = runner.quit
    lock = gevent.lock.Semaphore()
    done: list[bool] = []

    def quit() -> None:
        with lock:
            if not done:
                done.append(True)
                original()

    runner.quit = quit  # type: ignore[method-assign]


STATE = _State()
_installed = False


def install() -> _State:
    """Register the listeners once per process (idempotent)."""
    global _installed
    if not _installed:
        _installed = True
        events.init.add_listener(STATE.on_init)
        events.request.add_listener(STATE.on_request)
        events.test_start.add_listener(STATE.on_test_start)
        events.test_stop.add_listener(STATE.on_test_stop)
    return STATE
