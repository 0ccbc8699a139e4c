"""Workloads of threadtime.sh: threads that share the CPU, sleep, hash
without the GIL, come and go by the thousand, or start a non-Python child.

Usage: threadtime.py fair N | sleep | hash | many [LIBENDS.so|-] | child |
       bursts

Each prints what it measured ("cpu NAME SECONDS", "wall NAME SECONDS",
"timers BEFORE AFTER", ...) for the checker to compare with the profile,
then "done".
"""

import hashlib
import os
import subprocess
import sys
import threading
import time

measured = {}


def burn(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def busy_worker(seconds):
    t0 = time.thread_time()
    burn(seconds)
    measured[threading.current_thread().name] = time.thread_time() - t0


def sleeping_worker(seconds):
    t0 = time.monotonic()
    time.sleep(seconds)
    measured[threading.current_thread().name] = time.monotonic() - t0


def hashing_worker(seconds):
    data = b"\x5a" * (16 << 20)
    t0 = time.thread_time()
    while time.thread_time() - t0 < seconds:
        hashlib.sha256(data).digest()   # releases the GIL while hashing
    measured[threading.current_thread().name] = time.thread_time() - t0


def burst_worker(rounds):
    """Rounds of 30 ms waiting for an event then 10 ms of CPU work; the
    wall time of each, added up."""
    never = threading.Event()
    waited = worked = 0.0
    for _ in range(rounds):
        t0 = time.monotonic()
        never.wait(0.03)
        t1 = time.monotonic()
        burn(0.01)
        waited += t1 - t0
        worked += time.monotonic() - t1
    name = threading.current_thread().name
    measured[name + "-wait"] = waited
    measured[name + "-work"] = worked


def late_worker(start):
    """Wait for start, then 0.4 s of CPU work; the wall time of each."""
    t0 = time.monotonic()
    start.wait()
    t1 = time.monotonic()
    burn(0.4)
    name = threading.current_thread().name
    measured[name + "-wait"] = t1 - t0
    measured[name + "-work"] = time.monotonic() - t1


def run_threads(specs):
    threads = [threading.Thread(target=fn, args=(arg,), name=name)
               for name, fn, arg in specs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def count_timers():
    """POSIX timers of this process (/proc/self/timers: one "ID:" each) and
    its perf event descriptors (task clocks, in cpu mode)."""
    try:
        with open("/proc/self/timers") as f:
            n = sum(1 for line in f if line.startswith("ID:"))
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink("/proc/self/fd/" + fd) == \
                        "anon_inode:[perf_event]":
                    n += 1
            except OSError:
                pass
        return n
    except OSError:
        return -1


def main():
    mode = sys.argv[1]
    if mode == "fair":
        n = int(sys.argv[2])
        run_threads([("worker-%d" % i, busy_worker, 0.6) for i in range(n)])
        for name, sec in sorted(measured.items()):
            print("cpu %s %.3f" % (name, sec))
    elif mode == "sleep":
        run_threads([("busy", busy_worker, 0.8),
                     ("sleepy", sleeping_worker, 1.0)])
        print("cpu busy %.3f" % measured["busy"])
        print("wall sleepy %.3f" % measured["sleepy"])
    elif mode == "hash":
        run_threads([("hasher", hashing_worker, 0.8),
                     ("python", busy_worker, 0.8)])
        for name, sec in sorted(measured.items()):
            print("cpu %s %.3f" % (name, sec))
    elif mode == "many":
        before = count_timers()
        for _ in range(100):
            batch = [threading.Thread(target=lambda: None)
                     for _ in range(20)]
            for t in batch:
                t.start()
            for t in batch:
                t.join()
        # join() returns when the thread's Python state is gone; the
        # thread itself (and its timer) ends a moment later.
        deadline = time.monotonic() + 2.0
        after = count_timers()
        while after != before and time.monotonic() < deadline:
            time.sleep(0.01)
            after = count_timers()
        print("timers %d %d" % (before, after))
        # C threads ending by pthread_exit() and by cancellation.
        if len(sys.argv) > 2 and sys.argv[2] != "-":
            import ctypes
            lib = ctypes.CDLL(sys.argv[2])
            bad = lib.ends_threads(ctypes.c_int(200))
            after = count_timers()
            while after != before and time.monotonic() < deadline + 2.0:
                time.sleep(0.01)
                after = count_timers()
            print("ends %d %d %d" % (bad, before, after))
    elif mode == "bursts":
        start = threading.Event()
        threads = [threading.Thread(target=burst_worker, args=(30,),
                                    name="bursty"),
                   threading.Thread(target=late_worker, args=(start,),
                                    name="late")]
        for t in threads:
            t.start()
        time.sleep(0.6)
        start.set()
        for t in threads:
            t.join()
        for name, sec in sorted(measured.items()):
            print("wall %s %.3f" % (name, sec))
    elif mode == "child":
        t = threading.Thread(target=burn, args=(1.0,), name="busy")
        t.start()
        r = subprocess.run(
            ["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i + 1));"
             " done; ls / >/dev/null && echo child-ok"],
            stdout=subprocess.PIPE)
        t.join()
        print("child %d %s" % (r.returncode, r.stdout.decode().strip()))
    print("done")


main()
