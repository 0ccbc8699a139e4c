"""Workload for native.sh: a C extension (tests/integration/ext/pysigext.c,
built by the test) burning CPU in C, and calling back into Python, in turn:
burn_in_c calls pysigext.burn (all in C), call_into_c calls pysigext.call,
which calls py_callback (burning in Python) twenty times.

Usage: native_ext.py EXTDIR [SECONDS]   (EXTDIR holds pysigext.so; CPU
seconds to run, default 1)
"""

import sys
import time

sys.path.insert(0, sys.argv[1])
import pysigext  # noqa: E402


def py_callback(i):
    s = 0
    for k in range(3000):
        s += k * i
    return s


def burn_in_c():
    return pysigext.burn(2000000)


def call_into_c():
    return pysigext.call(py_callback, 20)


def main():
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    start = time.process_time()
    while time.process_time() - start < seconds:
        burn_in_c()
        call_into_c()
    print("done")


main()
