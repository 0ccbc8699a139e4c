"""Workload for kill.sh: write "<pid>" to READY_FILE once busy, then burn
CPU in busy_forever until killed (or MAX_SECONDS of CPU time, a guard)."""

import os
import sys
import time

MAX_SECONDS = 60.0


def busy_forever(ready):
    with open(ready + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(ready + ".tmp", ready)
    x = 0
    while time.thread_time() < MAX_SECONDS:
        for i in range(10000):
            x = (x + i * i) % 1000003
    return x


busy_forever(sys.argv[1])
