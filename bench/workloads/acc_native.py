"""Accuracy: the native / Python split of a ctypes workload.

c_part calls zlib's crc32 through ctypes on a 4 MiB buffer (pure C time);
py_part runs a Python loop.  Each measures its CPU time with
time.thread_time().  The truth is the share of c_part; a profiler's native
share is the share of samples whose innermost frame is zlib code.
"""

import ctypes
import ctypes.util
import sys
import time

import benchlib

name = ctypes.util.find_library("z")
if name is None:
    print("SKIP libz not found")
    sys.exit(0)
ZLIB = ctypes.CDLL(name)
ZLIB.crc32.restype = ctypes.c_ulong
ZLIB.crc32.argtypes = (ctypes.c_ulong, ctypes.c_char_p, ctypes.c_uint)
DATA = bytes(range(256)) * 16384           # 4 MiB


def c_part(spent):
    t = time.thread_time()
    ZLIB.crc32(0, DATA, len(DATA))
    spent["c_part"] += time.thread_time() - t


def py_part(spent):
    t = time.thread_time()
    total = 0
    for i in range(15000):
        total += i * i % 11
    spent["py_part"] += time.thread_time() - t


def work():
    spent = {"c_part": 0.0, "py_part": 0.0}
    for _ in range(benchlib.times(600)):
        c_part(spent)
        py_part(spent)
    return spent


benchlib.run(work, kind="native", native="c_part", library="libz")
