"""Workload for depth.sh: recurse DEPTH frames deep, then burn CPU at the
bottom for SECONDS of CPU time.  The frames named recurse are DEPTH + 1."""

import sys
import time


def recurse(n, seconds):
    if n == 0:
        x = 0
        end = time.thread_time() + seconds
        while time.thread_time() < end:
            for i in range(10000):
                x = (x + i * i) % 1000003
        return x
    return recurse(n - 1, seconds)


def main():
    depth = int(sys.argv[1])
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    sys.setrecursionlimit(depth + 1000)
    recurse(depth, seconds)


main()
