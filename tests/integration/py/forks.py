"""Workloads of forks.sh: Python processes made by os.fork, multiprocessing
(fork, forkserver, spawn) and subprocess, each burning CPU in a function of
its own.  Every process prints "pid ROLE PID".

Usage: forks.py osfork | mp METHOD | subprocess | sub_child
"""

import multiprocessing
import os
import subprocess
import sys
import time


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
    print("pid mp_work %d" % os.getpid(), flush=True)
    burn(0.3)


def sub_work():
    burn(0.3)


def main():
    mode = sys.argv[1]
    print("pid main %d" % os.getpid(), flush=True)
    if mode == "osfork":
        parent_work()
        pid = os.fork()
        if pid == 0:
            print("pid child %d" % os.getpid(), flush=True)
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
    print("done %s" % mode, flush=True)


if __name__ == "__main__":
    main()
