# Forks from __main__ while profiled, the way scripts and multiprocessing do;
# the child burns CPU too.  Prints one line per process.
import os
import sys


def burn(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


burn(300000)
pid = os.fork()
if pid == 0:
    burn(300000)
    print("child done")
    sys.stdout.flush()
    os._exit(5)
_, status = os.waitpid(pid, 0)
burn(300000)
print("parent done, child status", os.waitstatus_to_exitcode(status)
      if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
