"""Workload of control.sh: phases of wall-clock time, each busy in a
function of its own.

Usage: control.py window A B | toggle SIGNUM

window: a_work for A seconds, then b_work for B seconds.
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


def main():
    if sys.argv[1] == "window":
        a_work(float(sys.argv[2]))
        b_work(float(sys.argv[3]))
    else:
        sig = int(sys.argv[2])
        a_work(0.3)
        os.kill(os.getpid(), sig)
        b_work(0.3)
        os.kill(os.getpid(), sig)
        c_work(0.3)
    print("done")


main()
