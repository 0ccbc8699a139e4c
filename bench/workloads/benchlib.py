"""Shared by the workloads: the amount of work and the result line.

Each workload is run as `python3 WORKLOAD.py [SCALE]`, does a fixed amount of
work (SCALE times its default) and prints, as its last line, "BENCH " and a
JSON object: "elapsed", the seconds of its own perf_counter around the work,
"cpu_elapsed", the CPU seconds of the process (time.process_time: all its
threads, a profiler's signal handler included) around the work, and for
the accuracy workloads "truth", the CPU seconds (time.thread_time) each
named function spent, "kind", how to compare them with a profile, and
"wall_filter", the pysig-report option that selects the samples comparable
with CPU time in a wall-mode profile.
"""

import json
import sys
import time


def scale():
    """The work multiplier given on the command line (default 1)."""
    return float(sys.argv[1]) if len(sys.argv) > 1 else 1.0


def times(n):
    """N scaled, at least 1."""
    return max(1, int(n * scale()))


def run(work, **extra):
    """Time work() and print the result line; work may return a truth."""
    start = time.perf_counter()
    cpu_start = time.process_time()
    truth = work()
    result = {"elapsed": time.perf_counter() - start,
              "cpu_elapsed": time.process_time() - cpu_start}
    if truth is not None:
        result["truth"] = truth
    result.update(extra)
    sys.stdout.write("BENCH " + json.dumps(result) + "\n")
    sys.stdout.flush()
