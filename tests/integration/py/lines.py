"""Workload for lines.sh: one function with two single-line hot loops, the
first doing 4 times the iterations of the second (80/20).  The checker finds
the lines by their markers."""

import sys
import time


def two_loops(n):
    a = 0
    for i in range(4 * n): a = (a + i * i) % 1000003  # LINE_A
    b = 0
    for i in range(n): b = (b + i * i) % 1000003  # LINE_B
    return a + b


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    start = time.thread_time()
    while time.thread_time() - start < seconds:
        two_loops(50000)  # CALL


main()
