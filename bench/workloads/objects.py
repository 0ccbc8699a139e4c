"""Pure Python loops over objects: attributes, methods, dicts, lists."""

import benchlib


class Particle:
    __slots__ = ("x", "y", "vx", "vy")

    def __init__(self, i):
        self.x = float(i)
        self.y = float(i % 7)
        self.vx = 1.0 / (i + 1)
        self.vy = -0.5

    def step(self, dt):
        self.x += self.vx * dt
        self.y += self.vy * dt
        if self.y < 0:
            self.y = -self.y
            self.vy = -self.vy


class Bag:
    def __init__(self, i):
        self.name = "item%d" % i
        self.tags = {"k%d" % (i % 13): i}


def work():
    particles = [Particle(i) for i in range(2000)]
    bags = [Bag(i) for i in range(2000)]
    for _ in range(benchlib.times(500)):
        for p in particles:
            p.step(0.01)
        counts = {}
        for b in bags:
            for k in b.tags:
                counts[k] = counts.get(k, 0) + 1


benchlib.run(work)
