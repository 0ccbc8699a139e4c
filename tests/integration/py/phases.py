"""Workload for filters.sh, two functions of the same loop, phase_a and
phase_b, each running for a given thread CPU time.

    phases.py A B       phase_a for A seconds, then phase_b for B seconds.
                        Between the two it prints the CLOCK_MONOTONIC time,
                        the clock of the profile's sample times:
                            boundary_ns <nanoseconds>
    phases.py mix A B   both in turns of 4 ms of phase_a per 4 * B / A ms
                        of phase_b, A + B seconds in all: A:B is their
                        share of the CPU time however busy the machine is.
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
    if sys.argv[1] == "mix":
        a, b = float(sys.argv[2]), float(sys.argv[3])
        start = time.thread_time()
        while time.thread_time() - start < a + b:
            phase_a(0.004)
            phase_b(0.004 * b / a)
        return
    phase_a(float(sys.argv[1]))
    print("boundary_ns %d" % time.monotonic_ns())
    sys.stdout.flush()
    phase_b(float(sys.argv[2]))


main()
