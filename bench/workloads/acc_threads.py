"""Accuracy: four threads, equal ("equal") or unequal work ("unequal").

Thread k runs thread_k, which measures its thread's CPU time with
time.thread_time().  With equal work each should get about 25%; with
unequal work (1:2:3:4) the truth is what each thread measured.  A wall-mode
profile is compared through pysig-report --gil: the samples of the thread
that was running Python (the other three wait for the GIL).
"""

import sys
import threading
import time

import benchlib

UNEQUAL = len(sys.argv) > 2 and sys.argv[2] == "unequal"


def loop(n):
    total = 0
    for i in range(n):
        total += i * i % 11
    return total


def body(k, spent):
    t = time.thread_time()
    for _ in range(benchlib.times(1200) * (k + 1) if UNEQUAL
                   else benchlib.times(3000)):
        loop(2000)
    spent["thread_%d" % k] = time.thread_time() - t


def thread_0(spent):
    body(0, spent)


def thread_1(spent):
    body(1, spent)


def thread_2(spent):
    body(2, spent)


def thread_3(spent):
    body(3, spent)


def work():
    spent = {}
    threads = [threading.Thread(target=f, args=(spent,), name=f.__name__)
               for f in (thread_0, thread_1, thread_2, thread_3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return spent


benchlib.run(work, kind="functions",
             wall_filter="--gil")
