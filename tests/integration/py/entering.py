"""Workload of entering.sh: C calling back into Python, over and over.

libc's qsort through ctypes with a Python comparison function, sorted()
and map() with Python key functions: every call enters the interpreter
from C.  Runs for SECONDS of CPU time (default 1).
"""

import ctypes
import ctypes.util
import random
import sys
import time

CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                       ctypes.POINTER(ctypes.c_int))


def compare(a, b):
    return a[0] - b[0]


def sort_key(x):
    return (x % 1000, -x)


def square(x):
    return x * x


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    rng = random.Random(7)
    values = [rng.randrange(1 << 20) for _ in range(2000)]
    cmp = CMP(compare)
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        array = (ctypes.c_int * len(values))(*values)
        libc.qsort(array, len(array), ctypes.sizeof(ctypes.c_int), cmp)
        sorted(values, key=sort_key)
        sum(map(square, values))
    print("done")


main()
