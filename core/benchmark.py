"""What the `bench_*` commands share: a scratch database created and destroyed around the run, and timed runs
(best of N, with the query count of the last run)."""
import time
from contextlib import contextmanager

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext


@contextmanager
def scratch_database(stdout):
    """Create a throw-away database beside the configured one, switch to it, and destroy it afterwards."""
    creation = connection.creation
    real_name = connection.settings_dict["NAME"]
    scratch = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    stdout.write(f"scratch database on {connection.vendor}: {scratch}")
    try:
        yield scratch
    finally:
        creation.destroy_test_db(real_name, verbosity=0)


def time_runs(stdout, runs, repeat=3):
    """Run each `(name, callable)` `repeat` times; print and return {name: (best seconds, queries, last result)}."""
    timings = {}
    for name, run in runs:
        samples, queries, result = [], 0, None
        for _ in range(repeat):
            reset_queries()  # a build under DEBUG fills the query log; count from empty
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                result = run()
                samples.append(time.perf_counter() - started)
            queries = len(ctx.captured_queries)
        stdout.write(
            f"{name}: best of {repeat} {min(samples) * 1000:.0f} ms, {queries} queries "
            f"(runs: {', '.join(f'{s * 1000:.0f}' for s in samples)} ms)"
        )
        timings[name] = (min(samples), queries, result)
    return timings
