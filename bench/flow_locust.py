"""Locust peer for bench/flows.sh: the flow of bench/flow.yaml as a FastHttpUser.

Locust has no iteration count of its own, so this file keeps one: each task pass (one iteration: login, item, cart)
first claims a number from a counter shared by every user of the process; a user that finds ITERATIONS already
claimed stops (StopUser), and the user that completes the last iteration calls `environment.runner.quit()` (from a
greenlet of its own: called inside the task, quit() would stop the user running it and the process would hang until
`--run-time`), which ends the headless run at once. flows.sh still passes `--run-time` as a safety bound. At the end the counters are
written as JSON to FLOW_ITERATIONS_OUT: iterations started and completed, those whose login gave no token, and
Locust's own request and failure counts per step.

Environment: ITERATIONS (default 2000), FLOW_ITERATIONS_OUT (optional path).
"""
import json
import os

import gevent

from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.exception import StopUser

LIMIT = int(os.environ.get("ITERATIONS", "2000"))
COUNTS = {"started": 0, "completed": 0, "no_token": 0}
LOGIN_BODY = json.dumps({"user": "bench", "password": "secret"})
CART_BODY = json.dumps({"item": 7, "quantity": 1})


class Shopper(FastHttpUser):
    # No pause between iterations: a closed loop, as Barrage's and k6's VUs run.
    wait_time = constant(0)

    @task
    def journey(self):
        if COUNTS["started"] >= LIMIT:
            raise StopUser()
        COUNTS["started"] += 1
        json_type = {"Content-Type": "application/json"}
        with self.client.post("/login", data=LOGIN_BODY, headers=json_type, name="login",
                              catch_response=True) as login:
            token = None
            try:
                token = login.json().get("token")
            except Exception:
                pass
            if not token:
                login.failure("no token")
        if token:
            auth = {"Authorization": "Bearer " + token}
            self.client.get("/item", headers=auth, name="item")
            self.client.post("/cart", data=CART_BODY, headers={**json_type, **auth}, name="cart")
        else:
            COUNTS["no_token"] += 1
        COUNTS["completed"] += 1
        if COUNTS["completed"] >= LIMIT:
            # quit() stops every user, this one included: run it in its own greenlet, not from inside this task.
            gevent.spawn(self.environment.runner.quit)
            raise StopUser()


@events.quitting.add_listener
def _write_counts(environment, **_kwargs):
    path = os.environ.get("FLOW_ITERATIONS_OUT")
    if path:
        steps = {e.name: {"requests": e.num_requests, "failures": e.num_failures}
                 for e in environment.stats.entries.values()}
        with open(path, "w") as f:
            json.dump({**COUNTS, "steps": steps}, f)
