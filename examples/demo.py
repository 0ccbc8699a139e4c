"""A small CPU-bound program to try pysig on (about 2 seconds).

    LD_PRELOAD=libpysig.so python3 examples/demo.py
    pysig-report out.prof

Almost half of the time goes to count_primes; Matrix.multiply (with the
comprehensions inside it), the nested function make_scorer.<locals>.score
and checksum share the rest.
"""

import time


def count_primes(limit):
    """Count primes below limit by trial division: the hottest function."""
    count = 0
    for n in range(2, limit):
        d = 2
        while d * d <= n:
            if n % d == 0:
                break
            d += 1
        else:
            count += 1
    return count


class Matrix:
    def __init__(self, rows):
        self.rows = rows

    def multiply(self, other):
        """Naive matrix product: the second hottest function."""
        cols = list(zip(*other.rows))
        return Matrix([[sum(a * b for a, b in zip(row, col)) for col in cols]
                       for row in self.rows])


def make_scorer(weights):
    def score(words):
        """A nested function: reported as make_scorer.<locals>.score."""
        total = 0
        for w in words:
            for ch in w:
                total += weights.get(ch, 1)
        return total
    return score


def checksum(data):
    value = 0
    for b in data:
        value = (value * 31 + b) & 0xFFFFFFFF
    return value


def main():
    start = time.process_time()
    primes = count_primes(260000)
    m = Matrix([[(i * j) % 7 for j in range(60)] for i in range(60)])
    identity = Matrix([[int(i == j) for j in range(60)] for i in range(60)])
    for _ in range(35):
        m = m.multiply(identity)
    score = make_scorer({c: i for i, c in enumerate("etaoinshrdlu")})
    points = score(["profiling", "python", "signals", "sampling"] * 130000)
    digest = checksum(bytes(range(256)) * 8000)
    print("primes below 260000: %d, score: %d, checksum: %08x"
          % (primes, points, digest))
    print("matrix trace: %d" % sum(m.rows[i][i] for i in range(60)))
    print("CPU time: %.2f s" % (time.process_time() - start))


if __name__ == "__main__":
    main()
