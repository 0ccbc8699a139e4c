"""Accuracy: four functions with known, different CPU shares.

share_a .. share_d run the same loop 1, 2, 3 and 4 times as long, called
interleaved; each measures its own CPU time with time.thread_time().  The
truth is those times; a profiler's share of each is compared with them.
"""

import time

import benchlib


def loop(n):
    total = 0
    for i in range(n):
        total += i * i % 11
    return total


def share_a(spent):
    t = time.thread_time()
    loop(2000)
    spent["share_a"] += time.thread_time() - t


def share_b(spent):
    t = time.thread_time()
    loop(4000)
    spent["share_b"] += time.thread_time() - t


def share_c(spent):
    t = time.thread_time()
    loop(6000)
    spent["share_c"] += time.thread_time() - t


def share_d(spent):
    t = time.thread_time()
    loop(8000)
    spent["share_d"] += time.thread_time() - t


def work():
    spent = dict.fromkeys(("share_a", "share_b", "share_c", "share_d"), 0.0)
    for _ in range(benchlib.times(1200)):
        share_a(spent)
        share_b(spent)
        share_c(spent)
        share_d(spent)
    return spent


benchlib.run(work, kind="functions")
