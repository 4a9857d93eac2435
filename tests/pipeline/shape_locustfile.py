"""A locustfile with a LoadTestShape (as in Locust's examples): it sets users and length itself."""

from locust import HttpUser, LoadTestShape, constant, task


class Visitor(HttpUser):
    wait_time = constant(0.05)

    @task
    def index(self):
        self.client.get("/")


class TwoStages(LoadTestShape):
    stages = [(20, 2), (40, 4)]  # (until second, users): 40 s unless capped

    def tick(self):
        t = self.get_run_time()
        for until, users in self.stages:
            if t < until:
                return users, users
        return None
