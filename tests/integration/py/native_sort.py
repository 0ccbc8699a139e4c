"""Workload for native.sh: sorted() with a costly key function, so the
key's Python frame (a lambda) runs under the list sort's native frames.

Usage: native_sort.py [SECONDS]   (CPU seconds to run, default 1)
"""

import sys
import time


def costly(v):
    s = 0
    for i in range(1000):
        s += i * v
    return s % 1009


def sort_with_key(data):
    return sorted(data, key=lambda v: costly(v) + v)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    data = [(i * 7919) % 2000 for i in range(2000)]
    start = time.process_time()
    while time.process_time() - start < seconds:
        sort_with_key(data)
    print("done")


main()
