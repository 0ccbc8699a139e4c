"""Workload of control.sh: phases of wall-clock time, each busy in a
function of its own.

Usage: control.py window A B | toggle SIGNUM

window: a_work until A seconds after the process started (when the library
loaded: PYSIG_DELAY and PYSIG_DURATION count from there), then b_work until
B seconds after; prints "started S", the seconds the interpreter took to
reach main().
toggle: a_work 0.3 s, the signal (pause), b_work 0.3 s, the signal again
(resume), c_work 0.3 s.
"""

import os
import sys
import time


def burn(seconds):
    x = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def a_work(s): burn(s)
def b_work(s): burn(s)
def c_work(s): burn(s)


def since_start():
    """Seconds since this process started (exec), from /proc/self/stat."""
    with open("/proc/self/stat") as f:
        fields = f.read().rpartition(")")[2].split()
    start = int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return time.clock_gettime(time.CLOCK_BOOTTIME) - start


def main():
    if sys.argv[1] == "window":
        started = since_start()
        print("started %.3f" % started)
        a_work(float(sys.argv[2]) - started)
        b_work(float(sys.argv[3]) - since_start())
    else:
        sig = int(sys.argv[2])
        a_work(0.3)
        os.kill(os.getpid(), sig)
        b_work(0.3)
        os.kill(os.getpid(), sig)
        c_work(0.3)
    print("done")


main()
