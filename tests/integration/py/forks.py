"""Workloads of forks.sh: Python processes made by os.fork, multiprocessing
(fork, forkserver, spawn) and subprocess, each burning CPU in a function of
its own.  Every process prints "pid ROLE PID".  Lines are written with one
write(2) each: the two workers of "mp" run at once on one stdout, and
print() writes the text and its newline separately.

Usage: forks.py osfork | mp METHOD | subprocess | sub_child
"""

import multiprocessing
import os
import subprocess
import sys
import time


def say(line):
    """Write line and a newline to stdout in one system call."""
    sys.stdout.flush()
    os.write(1, (line + "\n").encode())


def burn(seconds):
    x = 0
    end = time.process_time() + seconds
    while time.process_time() < end:
        for i in range(2000):
            x = (x + i * i) % 1000003
    return x


def parent_work():
    burn(0.3)


def child_work():
    burn(0.4)


def mp_work():
    say("pid mp_work %d" % os.getpid())
    burn(0.3)


def sub_work():
    burn(0.3)


def main():
    mode = sys.argv[1]
    say("pid main %d" % os.getpid())
    if mode == "osfork":
        parent_work()
        pid = os.fork()
        if pid == 0:
            say("pid child %d" % os.getpid())
            child_work()
            os._exit(0)
        os.waitpid(pid, 0)
    elif mode == "mp":
        ctx = multiprocessing.get_context(sys.argv[2])
        procs = [ctx.Process(target=mp_work) for _ in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        if any(p.exitcode != 0 for p in procs):
            sys.exit("forks.py: a worker failed")
    elif mode == "subprocess":
        subprocess.run([sys.executable, __file__, "sub_child"], check=True)
    elif mode == "sub_child":
        sub_work()
    say("done %s" % mode)


if __name__ == "__main__":
    main()
