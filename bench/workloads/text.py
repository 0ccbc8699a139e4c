"""String, regular expression and JSON work (C helpers, Python glue)."""

import json
import re

import benchlib

WORD = re.compile(r"\b([a-z]+)(\d+)\b")


def make_doc(i):
    return {"id": i, "name": "user%d" % i, "tags": ["t%d" % (i % 5)] * 3,
            "text": " ".join("word%d" % (j * i % 97) for j in range(20))}


def work():
    docs = [make_doc(i) for i in range(300)]
    for _ in range(benchlib.times(50)):
        blob = json.dumps(docs)
        back = json.loads(blob)
        total = 0
        for d in back:
            for m in WORD.finditer(d["text"]):
                total += int(m.group(2))
            d["text"] = d["text"].upper().replace("WORD", "w").split()


benchlib.run(work)
