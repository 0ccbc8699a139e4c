"""Workloads of taskclock.sh: CPU time in the main thread, or the task
clocks' descriptors as the program sees them.

Usage: taskclock.py burn SECONDS | fds | limit | lockstep [wall]

burn prints "cpu main SECONDS" (its thread_time).  fds prints "stdin
reopened N" (the descriptor /dev/null got after closing 0 and starting a
thread), "fds alive N" (perf event descriptors while three threads run),
"fds child N" (in a forked child), "fds after N" (the two extra threads
gone), and "reused ok|closed|missing": a thread closes its own task
clock's descriptor, puts a file of its own under the number and ends; the
file must still be open afterwards.  limit, run with a low RLIMIT_NOFILE,
starts 40 threads and prints "limit SOFT", "fds limited N" and "fds
highest N" (the task clocks' count and highest number while they run) and
"files N" (files it could still open).  lockstep runs in_step for the first
30% of every millisecond of its CPU time and off_step for the rest, for
1.5 s, and prints "cpu in_step S" and "cpu off_step S": a sampler firing
every millisecond of CPU time exactly would find the same one every time.
lockstep wall does the same by every millisecond of CLOCK_MONOTONIC, for
wall mode's timers, and prints "wall in_step S" and "wall off_step S".
Then "done".
"""

import fcntl
import os
import resource
import struct
import sys
import threading
import time

F_GETOWN_EX = 16


def burn(seconds):
    x = 0
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def perf_fds():
    """{fd: owner thread id} of this process's perf event descriptors."""
    out = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) != \
                    "anon_inode:[perf_event]":
                continue
            fd = int(name)
            raw = fcntl.fcntl(fd, F_GETOWN_EX, bytes(8))
            out[fd] = struct.unpack("ii", raw)[1]
        except OSError:
            pass
    return out


def in_step(clock, end):
    while clock() < end:
        pass


def off_step(clock, end):
    while clock() < end:
        pass


def lockstep(seconds, kind, period=0.001):
    clock = time.monotonic if kind == "wall" else time.thread_time
    spent = {"in_step": 0.0, "off_step": 0.0}
    t = clock()
    stop = t + seconds
    while t < stop:
        slot = (t // period) * period
        in_step(clock, slot + 0.3 * period)
        t1 = clock()
        spent["in_step"] += t1 - t
        off_step(clock, slot + period)
        t = clock()
        spent["off_step"] += t - t1
    for name, sec in sorted(spent.items()):
        print("%s %s %.6f" % (kind, name, sec))


def wait_gone(tids):
    """Wait until the OS threads tids have ended: join() returns before a
    thread's last C code (pysig's end-of-thread destructor) has run."""
    end = time.monotonic() + 10
    while any(os.path.exists("/proc/self/task/%d" % t) for t in tids):
        if time.monotonic() > end:
            print("threads still there: %r" % tids)
            break
        time.sleep(0.01)


def reuse(path, result):
    """Close this thread's task clock, open path under its number."""
    me = threading.get_native_id()
    mine = [fd for fd, owner in perf_fds().items() if owner == me]
    if not mine:
        result.append(-1)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(fd, mine[0])          # closes the task clock
    os.close(fd)
    result.append(mine[0])
    result.append(me)
    burn(0.05)


def main():
    if sys.argv[1] == "burn":
        t0 = time.thread_time()
        burn(float(sys.argv[2]))
        print("cpu main %.6f" % (time.thread_time() - t0))
    elif sys.argv[1] == "fds":
        # A daemon's way with stdin: closed, a thread starts, reopened.
        os.close(0)
        t = threading.Thread(target=burn, args=(0.02,))
        t.start()
        t.join()
        wait_gone([t.native_id])
        print("stdin reopened %d" % os.open(os.devnull, os.O_RDONLY))
        stop = threading.Event()
        threads = [threading.Thread(target=stop.wait) for _ in range(2)]
        for t in threads:
            t.start()
        burn(0.05)
        print("fds alive %d" % len(perf_fds()))
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            burn(0.05)
            os.write(w, b"%d" % len(perf_fds()))
            os._exit(0)
        os.close(w)
        print("fds child %s" % os.read(r, 64).decode())
        os.waitpid(pid, 0)
        stop.set()
        for t in threads:
            t.join()
        wait_gone([t.native_id for t in threads])
        print("fds after %d" % len(perf_fds()))
        result = []
        t = threading.Thread(target=reuse, args=("reused.txt", result))
        t.start()
        t.join()
        if result[0] < 0:
            print("reused missing")
        else:
            wait_gone(result[1:])
            try:
                os.write(result[0], b"still mine\n")
                os.close(result[0])
                print("reused ok")
            except OSError:
                print("reused closed")
    elif sys.argv[1] == "lockstep":
        lockstep(1.5, sys.argv[2] if len(sys.argv) > 2 else "cpu")
    elif sys.argv[1] == "limit":
        stop = threading.Event()
        threads = [threading.Thread(target=stop.wait) for _ in range(40)]
        for t in threads:
            t.start()
        fds = perf_fds()
        print("limit %d" % resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        print("fds limited %d" % len(fds))
        print("fds highest %d" % max(fds, default=-1))
        opened = []
        try:
            while True:
                opened.append(os.open(os.devnull, os.O_RDONLY))
        except OSError:
            pass
        print("files %d" % len(opened))
        for fd in opened:
            os.close(fd)
        stop.set()
        for t in threads:
            t.join()
    print("done")


main()
