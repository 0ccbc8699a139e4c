"""Workload for split.sh: two functions with the same loop body, run with
iteration counts 7:3 in alternating slices until about 2.5 s of CPU time.
Each call is timed with time.thread_time, and the measured totals printed:
    measured hot_seventy <seconds>
    measured cool_thirty <seconds>
"""

import sys
import time

SLICE = 20000   # iterations per 10 "units"; about 1 ms on 3.8


def hot_seventy(n):
    x = 0
    for i in range(n):
        x = (x + i * i) % 1000003
    return x


def cool_thirty(n):
    x = 0
    for i in range(n):
        x = (x + i * i) % 1000003
    return x


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.5
    spent = {"hot_seventy": 0.0, "cool_thirty": 0.0}
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        for fn, n in ((hot_seventy, 7 * SLICE), (cool_thirty, 3 * SLICE)):
            t = time.thread_time()
            fn(n)
            spent[fn.__name__] += time.thread_time() - t
    for name, t in spent.items():
        print("measured %s %.6f" % (name, t))


main()
