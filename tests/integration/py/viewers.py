"""Workload for viewers.sh: a main thread that spends most of its CPU time
in hot_loop, a quarter of that in cold_loop (both called by main), a fifth
in a function whose name needs escaping everywhere, and a worker thread in
worker_spin while hot_loop runs.  Prints its pid and thread ids, then "done".

Usage: viewers.py SECONDS
"""

import os
import sys
import threading
import time

# Characters that HTML, JavaScript and JSON each need escaped.
ODD_NAME = "odd<&>\"'\\name \u00e9\u2603"


def spin(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def hot_loop(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def cold_loop(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def odd(seconds):
    return spin(seconds)


def worker_spin(seconds, tids):
    tids.append(threading.get_native_id())
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def rename(fn, name):
    """Give fn's code object another name (and qualified name, 3.11+)."""
    if sys.version_info >= (3, 11):
        fn.__code__ = fn.__code__.replace(co_name=name, co_qualname=name)
    else:
        fn.__code__ = fn.__code__.replace(co_name=name)


def main():
    seconds = float(sys.argv[1])
    rename(odd, ODD_NAME)
    tids = []
    worker = threading.Thread(target=worker_spin, args=(seconds / 2, tids))
    worker.start()
    hot_loop(seconds)
    # The timer is process-wide: a signal may go to either busy thread, so
    # what must be sampled in the main thread runs once it is alone.
    worker.join()
    cold_loop(seconds / 4)
    odd(seconds / 5)
    print("pid=%d" % os.getpid())
    print("main_tid=%d" % threading.get_native_id())
    print("worker_tid=%d" % tids[0])
    print("done")


main()
