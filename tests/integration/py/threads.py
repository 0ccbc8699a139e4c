"""Workload for threads.sh: four Python threads and the main thread busy at
once, each in its own function, and, if a native library is given, a thread
without any Python state spinning in C meanwhile.

Usage: threads.py [LIBSPIN.so]   (the library exports spin_thread(ms): start
a pthread that burns ms milliseconds of its own CPU time; join_spin())
"""

import ctypes
import sys
import threading
import time

SECONDS = 0.4           # CPU time each Python thread burns


def burn(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def thread_work_0(): burn(SECONDS)
def thread_work_1(): burn(SECONDS)
def thread_work_2(): burn(SECONDS)
def thread_work_3(): burn(SECONDS)


def main_work(): burn(SECONDS)


def main():
    spin = None
    if len(sys.argv) > 1:
        spin = ctypes.CDLL(sys.argv[1])
        if spin.spin_thread(ctypes.c_int(1500)) != 0:
            sys.exit("threads.py: spin_thread failed")
    threads = [threading.Thread(target=f) for f in
               (thread_work_0, thread_work_1, thread_work_2, thread_work_3)]
    for t in threads:
        t.start()
    main_work()
    for t in threads:
        t.join()
    if spin is not None:
        spin.join_spin()
    print("done")


main()
