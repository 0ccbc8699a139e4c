"""Workload of stress.sh.

Usage: stress.py recursion DEPTH | forks N
  recursion  recurse DEPTH deep (as deep as this interpreter's C stack
             allows, see below), burning CPU at the bottom; print the depth
  forks      fork N children one after another, each burning 20 ms and
             leaving with os._exit; print whether the parent's open
             descriptors and POSIX timers are the same before and after
"""

import os
import sys
import threading
import time


def stress_burn(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(500):
            x = (x + i * i) % 1000003
    return x


def stress_down(n, seconds):
    if n == 0:
        stress_burn(seconds)
        return 0
    return stress_down(n - 1, seconds) + 1


def counts():
    """Open descriptors and POSIX timers (Linux 3.10+) of this process."""
    fds = len(os.listdir("/proc/self/fd"))
    try:
        with open("/proc/self/timers") as f:
            timers = sum(1 for line in f if line.startswith("ID:"))
    except OSError:
        timers = -1
    return fds, timers


def main():
    how, n = sys.argv[1], int(sys.argv[2])
    if how == "recursion":
        sys.setrecursionlimit(n + 1000)
        # 3.12+ keeps Python calls off the C stack; 3.11 and older use
        # ~100-200 bytes of C stack per level: run in a thread with 256 MiB.
        threading.stack_size(256 << 20)
        out = []
        t = threading.Thread(target=lambda: out.append(
            stress_down(n, 0.5)))
        t.start()
        t.join()
        print("depth reached:", out)
    elif how == "forks":
        before = counts()
        for _ in range(n):
            pid = os.fork()
            if pid == 0:
                stress_burn(0.02)
                os._exit(0)
            os.waitpid(pid, 0)
        stress_burn(0.1)
        after = counts()
        # The numbers differ with pysig (its pipes and timer): on stderr.
        sys.stderr.write("fds and timers before %r after %r\n"
                         % (before, after))
        print("descriptors and timers the same after the forks:",
              before == after)


main()
