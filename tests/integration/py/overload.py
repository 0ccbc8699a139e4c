"""Workload of overload.sh: N threads, all sleeping or burning CPU for
SECONDS, under a sampling rate the spool cannot keep up with.  Prints the
number of threads that finished; writes the process's peak RSS in KiB
(VmHWM) to the file PEAK.  With "stop", pysig's spool process (if there is
one) is stopped meanwhile, as a spool writing to a slow disk would be, so
the sample buffer fills up whatever the machine's speed.

Usage: overload.py N SECONDS PEAK [stop]
"""

import os
import signal
import sys
import threading
import time


def overload_burn(seconds):
    x = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for i in range(500):
            x = (x + i * i) % 1000003
        time.sleep(0.001)
    return x


def spools():
    """Our pysig spool processes: named pysig-spool, forked from us (so
    with our command line)."""
    with open("/proc/self/cmdline", "rb") as f:
        mine = f.read()
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/comm" % pid) as f:
                comm = f.read().strip()
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if comm == "pysig-spool" and cmdline == mine:
            found.append(int(pid))
    return found


def main():
    n, seconds, peak = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
    stopped = spools() if sys.argv[4:] == ["stop"] else []
    for pid in stopped:
        os.kill(pid, signal.SIGSTOP)
    done = []
    ts = [threading.Thread(target=lambda: done.append(overload_burn(seconds)))
          for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for pid in stopped:
        os.kill(pid, signal.SIGCONT)
    sys.stderr.write("spools stopped: %d\n" % len(stopped))
    print("threads finished:", len(done))
    with open("/proc/self/status") as f:
        hwm = [line.split()[1] for line in f if line.startswith("VmHWM:")]
    with open(peak, "w") as f:
        f.write(hwm[0] + "\n")


main()
