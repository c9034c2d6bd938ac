"""Racing service calls on PostgreSQL: each job in its own thread and connection, as concurrent requests are,
released together by a barrier."""
import threading

import pytest
from django.db import connection, connections

from core.errors import DomainError

# A module of races: PostgreSQL only, each test in real transactions that the threads' own connections see.
RACE_MARKS = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: SQLite has no row locks and serialises whole-database writes"),
]


def race_results(jobs, refused=DomainError):
    """Run the jobs together; return per job ("ok", value) or ("refused", error). Any other exception fails the test
    (with refused=(), any exception at all)."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, job):
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", job())
        except refused as exc:
            results[i] = ("refused", exc)
        except Exception as exc:  # anything else is a bug the test must show
            results[i] = ("crashed", exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results), "a thread did not finish"
    crashed = [r[1] for r in results if r[0] == "crashed"]
    assert not crashed, crashed
    return results


def race_split(jobs, refused=DomainError):
    """Run the jobs together; return (values, refusals): what the jobs that ran returned and the errors of those
    refused, each in the jobs' order."""
    results = race_results(jobs, refused)
    return [r[1] for r in results if r[0] == "ok"], [r[1] for r in results if r[0] == "refused"]
