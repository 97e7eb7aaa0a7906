"""What the sourcing engine costs order placement: the same load on the code before and after it joined.

    .venv/bin/python -m bench.engine_cost [--rounds 2] [--seconds 10] [--backends sqlite,postgresql]

The sourcing issue allows placement throughput to drop by at most 15% with the default profile. The code
without the engine no longer exists beside the code with it, so this checks both out of the project's own
history (``git worktree``, in a temporary folder) and serves each in turn, with the same 50-location network, the
same connection counts and the same wrk script (bench/wrk/place_order.lua, unchanged in all three):

  - before: the last commit before orders were sourced under profiles (v0: fewest locations, then nearest),
  - after: the engine on the order path (built-in profile, daily capacity booked with the reservation),
    before the payments and customers work joined the order path,
  - HEAD: today's code (for scale: it also authorizes payments, matches customers, screens for fraud).

Rounds alternate the trees so that the machine's drift falls on all of them alike. Each tree's own
``bench.run`` builds its database, serves it and loads it (its schema and seeding are its own). Prints a
table and writes bench/results/engine_cost.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
TREES = {  # label → commit
    "before the engine": "4884187",
    "engine, built-in profile": "e82f91e",
}
CONNECTIONS = {"sqlite": [1, 2, 4], "postgresql": [2, 4, 8]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    results: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {label: _checkout(commit, Path(tmp) / commit) for label, commit in TREES.items()}
        trees["HEAD"] = ROOT
        try:
            for round_no in range(args.rounds):
                for label, tree in trees.items():
                    for backend in args.backends.split(","):
                        print(f"round {round_no + 1}: {label}, {backend}", flush=True)
                        rates = _serve_and_load(tree, backend, args.seconds)
                        results.setdefault((label, backend), []).append(max(rates.values()))
        finally:
            for commit in TREES.values():
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(Path(tmp) / commit)],
                               capture_output=True, check=False)
    print(_report(results, args))


def _checkout(commit: str, where: Path) -> Path:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(where), commit], check=True,
                   capture_output=True)
    return where


def _serve_and_load(tree: Path, backend: str, seconds: int) -> dict[int, float]:
    """The peak rate per connection count of ``tree``'s server (run in a child with ``tree`` on the path)."""
    env = {**os.environ, "PYTHONPATH": f"{tree / 'src'}{os.pathsep}{tree}"}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", backend, str(seconds)],
                         cwd=tree, env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("{"))
    return {int(c): float(r) for c, r in json.loads(line).items()}


def _child(backend: str, seconds: int) -> None:
    """In the tree's folder: its own bench.run builds the network, serves it and loads it."""
    sys.path.insert(0, os.getcwd())
    from bench import run  # the tree's, not ours

    tmp = Path(tempfile.mkdtemp())
    url, key = run.prepare(backend, tmp, 50)
    env = {"ORDERMESH_DATABASE_URL": url, "ORDERMESH_SWEEP_INTERVAL_SECONDS": "0",
           "ORDERMESH_NOTIFY_INTERVAL_SECONDS": "0"}
    server = run.Server("ordermesh.entrypoints.api.app:create_app", workers=1 if backend == "sqlite" else 2, env=env)
    try:
        run.sweep(server, key, [1], 2, f"cost-warm-{time.time_ns()}")  # warm-up
        loads = run.sweep(server, key, CONNECTIONS[backend], seconds, f"cost-{time.time_ns()}")
    finally:
        server.stop()
    if failed := sum(load.failed for load in loads):
        raise RuntimeError(f"{failed} place-order requests failed")
    print(json.dumps({load.connections: load.rps for load in loads}), flush=True)


def _report(results: dict[tuple[str, str], list[float]], args: argparse.Namespace) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {machine}; `python -m bench.engine_cost` ({args.rounds} rounds, "
             f"{args.seconds} s per load, peak over the connection counts per round).", "",
             "| database | code | peak place-order/s per round | median | vs before the engine |",
             "|---|---|---|---|---|"]
    for backend in args.backends.split(","):
        base = statistics.median(results[("before the engine", backend)])
        for label in [*TREES, "HEAD"]:
            rates = results[(label, backend)]
            median = statistics.median(rates)
            lines.append(f"| {backend} | {label} | {', '.join(f'{r:.0f}' for r in rates)} | {median:.0f} | "
                         f"{(median / base - 1):+.0%} |")
    text = "\n".join(lines)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / "engine_cost.md").write_text(text + "\n")
    return text


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
