"""Workload for filters.sh: phase_a burns CPU for A seconds, then phase_b
for B seconds (thread CPU time; arguments A and B).  Between the two it
prints the CLOCK_MONOTONIC time, the clock of the profile's sample times:
    boundary_ns <nanoseconds>
"""

import sys
import time


def phase_a(seconds):
    start = time.thread_time()
    x = 0
    while time.thread_time() - start < seconds:
        for i in range(2000):
            x = (x * 31 + i * i + (x >> 3)) % 1000003 + (i & 7) * (x & 15)
    return x


def phase_b(seconds):
    start = time.thread_time()
    y = 0
    while time.thread_time() - start < seconds:
        for j in range(2000):
            y = (y * 17 + j * j + (y >> 2)) % 999983 + (j & 3) * (y & 31)
    return y


def main():
    phase_a(float(sys.argv[1]))
    print("boundary_ns %d" % time.monotonic_ns())
    sys.stdout.flush()
    phase_b(float(sys.argv[2]))


main()
