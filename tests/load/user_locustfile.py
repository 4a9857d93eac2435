"""A user's own locustfile (plain Locust): scalectl runs it and still measures every request."""

from locust import FastHttpUser, constant, task


class Reader(FastHttpUser):
    wait_time = constant(0.02)

    @task(3)
    def content(self) -> None:
        auth = {"Authorization": "Bearer reader"}
        self.client.get("/api/content/7", headers=auth, name="/api/content/{id}")

    @task
    def failing(self) -> None:
        self.client.get("/api/fail")
