#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into OUT/<target>/: the repository's own
inputs (experiments/, Tests/Fixtures/) plus small generated interaction files that use each
format's corners (quoting, CRLF, a byte-order mark, ISO dates, mapped column names).
Seeds are rebuilt on every run, so they follow the fixtures; libFuzzer's working corpus
lives next to them and grows from run to run.

usage: Fuzz/make_seeds.py OUT   (run from the repository root)
"""
import glob
import os
import random
import re
import shutil
import sys

DATA_EXTENSIONS = {
    "csv": [".csv"], "tsv": [".tsv"], "movielens": [".data"], "movielens-dat": [".dat"],
    "recbole": [".inter"], "sasrec": [".txt"],
}


def generated_data(rng):
    """A few small files per format, 3 users x up to 5 events."""
    rows = [(u, rng.randint(1, 9), rng.randint(1, 5), 881250949 + 60 * i)
            for i, u in enumerate([1, 1, 1, 2, 2, 3, 3, 3, 3])]
    iso = lambda t: "2024-01-%02dT%02d:00:00Z" % (1 + t % 28, t % 24)
    out = {
        "csv": {
            "plain.csv": "user_id,item_id,rating,timestamp\n" + "".join("%d,%d,%d,%d\n" % r for r in rows),
            "quoted-crlf-bom.csv": "\ufeffuser_id,\"item_id\",rating,timestamp\r\n"
            + "".join('"%d","it,em %d",%d.5,%s\r\n' % (u, i, r, iso(t)) for u, i, r, t in rows),
            "mapped.csv": "uid,iid,score,time\n" + "".join("u%d,\"a \"\"b\"\" %d\",%d,%d\n" % r for r in rows),
            "multiline.csv": 'user_id,item_id\n1,"a\nb"\n2,c\n\n3 , d \n',
        },
        "tsv": {
            "plain.tsv": "user_id\titem_id\ttimestamp\n" + "".join("%d\t%d\t%d\n" % (u, i, t) for u, i, _, t in rows),
            "mapped.tsv": "time\tuid\tiid\tscore\n" + "".join("%s\t%d\t%d\t%d\n" % (iso(t), u, i, r) for u, i, r, t in rows),
        },
        "movielens": {"u.data": "".join("%d\t%d\t%d\t%d\n" % r for r in rows)},
        "movielens-dat": {"ratings.dat": "".join("%d::%d::%d::%d\r\n" % r for r in rows)},
        "recbole": {
            "plain.inter": "user_id:token\titem_id:token\trating:float\ttimestamp:float\n"
            + "".join("%d\t%d\t%d\t%d\n" % r for r in rows),
            "mapped.inter": "uid:token\tiid:token\tscore:float\ttime:float\n"
            + "".join("%d\t%d\t%d\t%d.25\n" % r for r in rows),
        },
        "sasrec": {"seq.txt": "".join("%d %d\n" % (u, i) for u, i, _, _ in rows) + "4\t7\n"},
    }
    return out


def main():
    out = sys.argv[1]
    if os.path.isdir(out):
        shutil.rmtree(out)
    seeds = {}

    def add(target, path, content=None):
        directory = os.path.join(out, target)
        os.makedirs(directory, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9._-]", "_", path)
        if content is None:
            shutil.copyfile(path, os.path.join(directory, name))
        else:
            with open(os.path.join(directory, name), "wb") as file:
                file.write(content if isinstance(content, bytes) else content.encode())
        seeds[target] = seeds.get(target, 0) + 1

    # Configs: the loader here reads one file without following `extends:`, so drop it.
    configs = sorted(glob.glob("experiments/*.yaml") + glob.glob("Tests/Fixtures/**/*.yaml", recursive=True))
    for path in configs:
        with open(path, "rb") as file:
            text = file.read()
        add("config", path, re.sub(rb"(?m)^extends:.*\n", b"", text))
    for target, extensions in DATA_EXTENSIONS.items():
        for path in sorted(glob.glob("Tests/Fixtures/data/*")):
            if os.path.splitext(path)[1] in extensions:
                add(target, path)
    for target, files in generated_data(random.Random(7)).items():
        for name, content in files.items():
            add(target, "generated-" + name, content)
    for path in sorted(glob.glob("Tests/Fixtures/**/report.json", recursive=True)
                       + glob.glob("Tests/Fixtures/report/*.json")
                       + glob.glob("Tests/Fixtures/**/per_user.tsv", recursive=True))[:40]:
        add("report", path)
    for path in sorted(glob.glob("Tests/Fixtures/safetensors/**/*.safetensors", recursive=True)):
        add("safetensors", path)
    # Every target also starts from its committed regression inputs.
    for path in sorted(p for p in glob.glob("Tests/Fixtures/fuzz-regressions/*/*") if not p.endswith(".expected")):
        add(os.path.basename(os.path.dirname(path)), path)
    print("seeds: " + ", ".join("%s %d" % item for item in sorted(seeds.items())))


if __name__ == "__main__":
    main()
