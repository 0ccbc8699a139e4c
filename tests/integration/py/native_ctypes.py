"""Workload for native.sh: libc's qsort sorting an array with a Python
comparator (a ctypes callback) that burns some CPU on each call, so the
comparator runs under qsort's native frames.

Usage: native_ctypes.py [SECONDS]   (CPU seconds to run, default 1)
"""

import ctypes
import ctypes.util
import sys
import time

LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
LIBC.qsort.restype = None
CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                       ctypes.POINTER(ctypes.c_int))


def compare(a, b):
    x, y = a[0], b[0]
    s = 0
    for i in range(2000):
        s += i * i
    return (x > y) - (x < y)


def sort_with_qsort(n):
    array = (ctypes.c_int * n)(*[(i * 7919) % n for i in range(n)])
    LIBC.qsort(array, ctypes.c_size_t(n),
               ctypes.c_size_t(ctypes.sizeof(ctypes.c_int)), CMP(compare))
    return array[0]


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    start = time.process_time()
    while time.process_time() - start < seconds:
        sort_with_qsort(200)
    print("done")


main()
