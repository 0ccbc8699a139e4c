"""Native-heavy: numpy array arithmetic and a matrix product.

Prints "SKIP ..." and exits 0 when numpy cannot be imported.
"""

import sys

try:
    import numpy
except ImportError as e:
    print("SKIP numpy not importable: %s" % e)
    sys.exit(0)

import benchlib


def work():
    a = numpy.arange(200000, dtype=numpy.float64)
    m = numpy.random.RandomState(1).rand(120, 120)
    for _ in range(benchlib.times(12)):
        b = numpy.sqrt(a * 1.5 + 2.0).sum()
        m = m.dot(m)
        m /= numpy.abs(m).max()
        numpy.sort(a[::-1])
    return None


benchlib.run(work)
