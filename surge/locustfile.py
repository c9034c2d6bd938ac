"""Locust users for the deadline surge: each takes one seeded account and walks `surge.journey` once, then idles.

Run by surge/run.py (headless); settings come from the environment:
SURGE_PLAN (the seed's JSON: apply path, password, accounts), SURGE_JOURNAL (JSON-lines journal to append to),
SURGE_STATS (JSON written at the end: every request's status class and latency by step, journey outcomes).
The run stops by itself once every account has finished, or at locust's --run-time.
"""
import json
import os
import random
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import gevent
from locust import HttpUser, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surge.journey import Journey, JourneyError  # noqa: E402

PLAN = json.loads(Path(os.environ["SURGE_PLAN"]).read_text()) if os.environ.get("SURGE_PLAN") else None
ACCOUNTS = iter(PLAN["accounts"] if PLAN else [])
CLOSES_AT = datetime.fromisoformat(PLAN["closes_at"]).timestamp() if PLAN else float("inf")
_journal_lock = threading.Lock()
_journal = open(os.environ["SURGE_JOURNAL"], "a", encoding="utf-8") if os.environ.get("SURGE_JOURNAL") else None

latencies = defaultdict(list)  # step name -> [ms]
statuses = defaultdict(Counter)  # step name -> Counter of status codes ("0" = no answer)
timeline = []  # (unix time, step, status, ms)
outcomes = Counter()
finished = {"count": 0}


def record(event, **data):
    if _journal is not None:
        with _journal_lock:
            _journal.write(json.dumps({"event": event, "at": round(time.time(), 3), **data}) + "\n")
            _journal.flush()


@events.request.add_listener
def _on_request(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    if request_type == "JOURNEY":  # a journey's failure, already counted in `outcomes`
        return
    status = getattr(response, "status_code", 0) or 0
    latencies[name].append(response_time)
    statuses[name][str(status)] += 1
    timeline.append((round(time.time(), 3), name, status, round(response_time, 1)))


@events.quitting.add_listener
def _write_stats(environment, **kwargs):
    path = os.environ.get("SURGE_STATS")
    if not path:
        return
    Path(path).write_text(json.dumps({
        "latencies_ms": latencies, "statuses": statuses, "outcomes": outcomes, "timeline": timeline,
        "users_finished": finished["count"],
    }))


class Applicant(HttpUser):
    """One CSO on deadline day. Thinking times are short: everyone is in a hurry."""

    def wait_time(self):
        return 0

    @task
    def apply_and_submit(self):
        email = next(ACCOUNTS, None)
        if email is None:
            self._stay()
        journey = Journey(
            self.client, email=email, password=PLAN["password"], apply_path=PLAN["apply_path"], record=record,
            pause=lambda low, high: gevent.sleep(random.uniform(low, high)),
        )
        try:
            journey.run()
            outcomes["submitted"] += 1
        except JourneyError as exc:
            # Past the deadline the call's pages refuse applications, whatever step the applicant had reached.
            kind = "late" if time.time() >= CLOSES_AT else exc.kind
            outcomes[kind] += 1
            record("failed", email=email, application=journey.application_id, kind=kind, detail=str(exc), status=exc.status)
            events.request.fire(
                request_type="JOURNEY", name=f"journey failed: {kind}", response_time=0, response_length=0,
                exception=exc, context={},
            )
        except Exception as exc:  # noqa: BLE001 - a bug in the journey is counted, never silently lost
            outcomes["journey_crashed"] += 1
            record("failed", email=email, application=journey.application_id, kind="journey_crashed", detail=repr(exc))
        finished["count"] += 1
        if finished["count"] >= len(PLAN["accounts"]):
            gevent.spawn_later(0.5, self.environment.runner.quit)
        self._stay()

    @staticmethod
    def _stay():
        """Done: stay idle until the run ends. A user that stopped would be replaced by a new one, and applicants
        would then arrive faster than the spawn rate whenever the service is quick."""
        while True:
            gevent.sleep(3600)
