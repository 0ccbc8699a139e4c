"""Workload for formats.sh: hot_loop burns about three quarters of the CPU
time, called from caller; warm_loop the rest, called from main.  SECONDS of
CPU time in all (default 1)."""

import sys
import time


def hot_loop(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def warm_loop(seconds):
    x = 1
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(2000):
            x = (x * 3 + i) % 999983
    return x


def caller(seconds):
    return hot_loop(seconds)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    for _ in range(5):
        caller(seconds * 0.15)
        warm_loop(seconds * 0.05)


main()
