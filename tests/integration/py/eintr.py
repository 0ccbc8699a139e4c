"""Workload of eintr.sh: blocking calls that a signal may interrupt.  Each
prints its result; with pysig sampling at 1000/s the output must be the
same as without.

Usage: eintr.py CALL...  (each of read sleep select recv communicate
waitpid, run at the same time in threads of their own)
  read         libc.read() through ctypes (no retry on EINTR) on a pipe
               that a thread writes 4 bytes to after 1 s
  sleep        time.sleep(1)
  select       select.select() on a pipe written after 1 s
  recv         socket.recv() on a socket pair written after 1 s
  communicate  subprocess communicate() with a child that sleeps 1 s
  waitpid      os.waitpid() on a forked child that sleeps 1 s
"""

import ctypes
import ctypes.util
import os
import select
import socket
import subprocess
import sys
import threading
import time
import warnings


def later(fn):
    def run():
        time.sleep(1)
        fn()
    t = threading.Thread(target=run)
    t.start()
    return t


def call(how):
    """One blocking call; what it returned, as text."""
    if how == "read":
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        r, w = os.pipe()
        t = later(lambda: os.write(w, b"abcd"))
        buf = ctypes.create_string_buffer(16)
        n = libc.read(r, buf, 16)
        err = ctypes.get_errno() if n < 0 else 0
        t.join()
        return "%d %r errno %d" % (n, buf.raw[:max(n, 0)], err)
    if how == "sleep":
        start = time.monotonic()
        time.sleep(1)
        return "slept 1 s: %s" % (time.monotonic() - start >= 0.99)
    if how == "select":
        r, w = os.pipe()
        t = later(lambda: os.write(w, b"x"))
        ready = select.select([r], [], [], 10)
        t.join()
        return "%s %r" % (ready[0] == [r], os.read(r, 1))
    if how == "recv":
        a, b = socket.socketpair()
        t = later(lambda: b.sendall(b"hello"))
        data = a.recv(16)
        t.join()
        return repr(data)
    if how == "communicate":
        p = subprocess.Popen([sys.executable, "-c",
                              "import time; time.sleep(1); print('child')"],
                             stdout=subprocess.PIPE)
        out, _ = p.communicate()
        return "%r %d" % (out, p.returncode)
    if how == "waitpid":
        pid = os.fork()
        if pid == 0:
            time.sleep(1)
            os._exit(7)
        _, status = os.waitpid(pid, 0)
        return "status %d" % os.WEXITSTATUS(status)
    raise ValueError(how)


def main():
    """Each call in a thread of its own (each thread has its own timer in
    wall mode), all at once; then the results in a fixed order."""
    hows = sys.argv[1:]
    # 3.12+ warns, with its pid, about fork() in a threaded process.
    warnings.simplefilter("ignore", DeprecationWarning)
    out = {}
    ts = [threading.Thread(target=lambda h=h: out.__setitem__(h, call(h)))
          for h in hows]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for h in hows:
        print("%s: %s" % (h, out.get(h)))


main()
