"""Native-heavy: hashlib over large buffers (C code, GIL released)."""

import hashlib

import benchlib

DATA = bytes(range(256)) * 4096          # 1 MiB


def work():
    for _ in range(benchlib.times(110)):
        hashlib.sha256(DATA).hexdigest()
        hashlib.md5(DATA).hexdigest()
        hashlib.blake2b(DATA[:65536]).hexdigest()


benchlib.run(work)
