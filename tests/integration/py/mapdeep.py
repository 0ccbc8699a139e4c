"""A call stack DEPTH Python calls deep, each made through map(), so that
every interpreter nests C frames at every level too; the innermost one,
burn(), runs SECONDS of CPU time.  Usage: mapdeep.py DEPTH SECONDS."""

import sys
import time


def burn(seconds):
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        for i in range(1000):
            x += i
    return x


def level(n, seconds):
    if n == 0:
        return burn(seconds)
    return list(map(level, [n - 1], [seconds]))[0]


level(int(sys.argv[1]), float(sys.argv[2]))
