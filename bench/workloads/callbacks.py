"""Mixed native and Python: C code calling back into Python.

libc's qsort through ctypes with a Python comparison function, and sorted()
with a Python key function.
"""

import ctypes
import ctypes.util
import random

import benchlib

CMP = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_int),
                       ctypes.POINTER(ctypes.c_int))


def compare(a, b):
    return a[0] - b[0]


def key(x):
    return (x % 1000, -x)


def work():
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    rng = random.Random(7)
    values = [rng.randrange(1 << 20) for _ in range(3000)]
    cmp = CMP(compare)
    for _ in range(benchlib.times(20)):
        array = (ctypes.c_int * len(values))(*values)
        libc.qsort(array, len(array), ctypes.sizeof(ctypes.c_int), cmp)
        sorted(values, key=key)


benchlib.run(work)
