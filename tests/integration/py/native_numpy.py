"""Workload for native.sh: products of two 200x200 float64 matrices in a
loop, so nearly all the time of multiply_matrices is in numpy's or the BLAS
library's native code.

a.dot(b) rather than numpy.dot(a, b): before numpy 1.25, numpy.dot is
wrapped by a dispatcher written in Python (<__array_function__ internals>),
whose frame would sit between multiply_matrices and numpy's native code.
200x200 keeps each product short (milliseconds with the reference BLAS),
so the interpreter specializes the call early in the run.

Usage: native_numpy.py [SECONDS]   (CPU seconds to run, default 1)
"""

import sys
import time

import numpy

N = 200


def multiply_matrices(a, b):
    return a.dot(b)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    a = numpy.arange(N * N, dtype=numpy.float64).reshape(N, N) / (N * N)
    b = a.T.copy()
    start = time.process_time()
    while time.process_time() - start < seconds:
        multiply_matrices(a, b)
    print("done")


main()
