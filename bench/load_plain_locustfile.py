"""Plain Locust, hand-written: the reference for scalectl's overhead (bench/bench_load_overhead.py).

The same work as bench/load_overhead.yaml: a random id, a per-user Bearer token, the status checked.
"""

import itertools
import random

from locust import FastHttpUser, constant, task

_ids = itertools.count()


class Plain(FastHttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.auth = {"Authorization": f"Bearer vu-{next(_ids)}"}

    @task
    def content(self) -> None:
        path = f"/api/content/{random.randint(1, 20000)}"
        with self.client.get(path, headers=self.auth, name="/api/content/{id}", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"unexpected status {r.status_code}")
