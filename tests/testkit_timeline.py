"""Where ``make test`` spends its time: a pytest plugin writing one JSON line per test, and a
summary per file (measuring aid of docs/testing.md; not loaded by ``make test``).

Record (each xdist worker writes ``timeline_<worker>.jsonl`` into ``$TIMELINE_DIR``)::

    TIMELINE_DIR=/tmp/tl PYTHONPATH=tests .venv/bin/python -m pytest -q -p no:cacheprovider \\
        -p testkit_timeline -n auto --dist loadfile --no-loadscope-reorder --doctest-modules leadlab tests

Summarise: ``.venv/bin/python tests/testkit_timeline.py /tmp/tl``. CPU is user + sys of the
worker and of the processes it waited for (kernels, CLI subprocesses), so a file's figure
includes its kernels; a process nobody waits for (the Spark JVM) is not in it.

>>> summary([{"w": "gw0", "id": "tests/test_a.py::t1", "t0": 0.0, "t1": 2.0, "cpu": 1.5},
...          {"w": "gw0", "id": "tests/test_a.py::t2", "t0": 2.0, "t1": 3.0, "cpu": 0.5}])
[('tests/test_a.py', 2, 2.0, 3.0, 'gw0', 0.0, 3.0)]
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import pytest

_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
_out = None


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _write(record: dict) -> None:
    global _out
    if _out is None:
        folder = Path(os.environ.get("TIMELINE_DIR", "."))
        folder.mkdir(parents=True, exist_ok=True)
        _out = open(folder / f"timeline_{_WORKER}.jsonl", "w", encoding="utf-8")  # noqa: SIM115 - open for the session
    _out.write(json.dumps(record) + "\n")
    _out.flush()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    t0, c0 = time.time(), _cpu()
    yield
    _write({"w": _WORKER, "id": item.nodeid, "t0": t0, "t1": time.time(), "cpu": _cpu() - c0})


def pytest_sessionstart(session):
    _write({"w": _WORKER, "start": time.time(), "cpu": _cpu()})


def pytest_sessionfinish(session):
    _write({"w": _WORKER, "finish": time.time(), "cpu": _cpu()})


def summary(rows: list[dict]) -> list[tuple]:
    """Per file, most CPU first: (file, tests, CPU s, summed wall s, worker, first start, last end)."""
    files: dict[str, list] = {}
    origin = min(r["t0"] for r in rows)
    for r in rows:
        f = files.setdefault(r["id"].split("::", 1)[0], [0, 0.0, 0.0, r["w"], r["t0"], r["t1"]])
        f[0] += 1
        f[1] += r["cpu"]
        f[2] += r["t1"] - r["t0"]
        f[4], f[5] = min(f[4], r["t0"]), max(f[5], r["t1"])
    return sorted(((name, n, round(cpu, 1), round(wall, 1), w, round(a - origin, 1), round(b - origin, 1))
                   for name, (n, cpu, wall, w, a, b) in files.items()), key=lambda t: -t[2])


def main(folder: str) -> None:
    rows, sessions = [], {}
    for path in sorted(Path(folder).glob("timeline_*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if "id" in r:
                rows.append(r)
            else:
                sessions.setdefault(r["w"], {}).update(r)
    for w, s in sorted(sessions.items()):
        if "finish" in s:
            print(f"{w}: session {s['finish'] - s['start']:.0f} s wall, {s['cpu']:.1f} CPU-s at the end")
    print(f"{'CPU s':>7} {'wall s':>7} {'tests':>5} worker {'start':>6} {'end':>6}  file")
    for name, n, cpu, wall, w, a, b in summary(rows)[:40]:
        print(f"{cpu:7.1f} {wall:7.1f} {n:5d} {w:>6} {a:6.0f} {b:6.0f}  {name}")
    print(f"tests: {len(rows)}, CPU in tests: {sum(r['cpu'] for r in rows):.1f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
