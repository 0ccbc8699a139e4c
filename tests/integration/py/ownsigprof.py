"""Workload of ownsigprof.sh: a program that uses SIGPROF itself.  Prints
what it saw; with pysig it must print the same as without.

Usage: ownsigprof.py, which does, in turn:
  - a thread that blocks SIGPROF with pthread_sigmask (through ctypes, as a
    C thread would) works; prints its result
  - a handler without a timer: prints its calls after 0.3 s of CPU (0),
    then after one os.kill(SIGPROF) (1)
  - signal.setitimer(ITIMER_PROF, 10 ms) with the handler over 1 s of CPU
    time: prints whether the handler ran 50-150 times
  - SIG_IGN, then a SIGPROF: prints that it survived
"""

import ctypes
import ctypes.util
import os
import signal
import threading
import time

calls = [0]


def on_prof(signum, frame):
    calls[0] += 1


def own_burn(seconds):
    x = 0
    end = time.process_time() + seconds
    while time.process_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def own_sum(n):
    return sum(i * i for i in range(n))


def blocked():
    """A thread that blocks SIGPROF as a C thread would, then works."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    result = []

    def run():
        mask = ctypes.create_string_buffer(128)
        libc.sigemptyset(mask)
        libc.sigaddset(mask, signal.SIGPROF)
        libc.pthread_sigmask(0, mask, None)  # SIG_BLOCK
        result.append(own_sum(300000))
        result.append(own_burn(0.2) >= 0)

    t = threading.Thread(target=run)
    t.start()
    own_burn(0.2)
    t.join()
    print("blocked thread:", result)


def main():
    """All of them, one after the other."""
    print("getsignal before:", signal.getsignal(signal.SIGPROF))
    blocked()

    signal.signal(signal.SIGPROF, on_prof)
    own_burn(0.3)
    print("handler calls without a timer:", calls[0])
    os.kill(os.getpid(), signal.SIGPROF)
    end = time.time() + 5
    while calls[0] == 0 and time.time() < end:
        time.sleep(0.01)
    print("handler calls after one kill:", calls[0])

    calls[0] = 0
    signal.setitimer(signal.ITIMER_PROF, 0.01, 0.01)
    own_burn(1.0)
    signal.setitimer(signal.ITIMER_PROF, 0, 0)
    print("itimer handler ran 50-150 times:", 50 <= calls[0] <= 150)
    print("getsignal is the handler:",
          signal.getsignal(signal.SIGPROF) is on_prof)

    print("SIG_IGN replaces the handler:",
          signal.signal(signal.SIGPROF, signal.SIG_IGN) is on_prof)
    os.kill(os.getpid(), signal.SIGPROF)
    own_burn(0.2)
    print("survived an ignored SIGPROF; getsignal:",
          signal.getsignal(signal.SIGPROF))


main()
