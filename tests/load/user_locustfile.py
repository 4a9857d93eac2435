"""A user's own locustfile (plain Locust): scalectl runs it and still measures every request."""

from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0.02)

    @task
    def read_then_fail(self) -> None:
        # both routes in every iteration: even a run that gets a fraction of a second of load (a busy
        # machine) sees each endpoint, so the test checks measurement, not luck
        auth = {"Authorization": "Bearer reader"}
        for _ in range(3):
            self.client.get("/api/content/7", headers=auth, name="/api/content/{id}")
        self.client.get("/api/fail")
