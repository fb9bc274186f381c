"""Benchmark: load and index a large snapshot, then answer access queries.

    python benchmarks/bench_access.py [--assignments 100000] [--queries 20000]

Targets (issue 2): load and index within 2x the time json.load takes on the same file; at
least 20,000 access queries per second on one core. Prints the figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import write  # noqa: E402
from diagnose.model.model import Model  # noqa: E402
from diagnose.rbac import Evaluator  # noqa: E402
from diagnose.snapshot import load_snapshot  # noqa: E402

T = TypeVar("T")

OPERATIONS = [
    ("Microsoft.MachineLearningServices/workspaces/read", False),
    ("Microsoft.MachineLearningServices/workspaces/hubs/join/action", False),
    ("Microsoft.Resources/deployments/write", False),
    ("Microsoft.CognitiveServices/accounts/OpenAI/deployments/chat/completions/action", True),
    ("Microsoft.Search/searchServices/indexes/documents/read", True),
    ("Microsoft.Search/searchServices/indexes/read", False),
    ("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", True),
    ("Microsoft.Authorization/roleAssignments/write", False),
]


def best_of(runs: int, action: Callable[[], T]) -> tuple[float, T]:
    """Best wall time of several runs; each run's result is freed before the next starts."""
    times: list[float] = []
    result: T | None = None
    for _ in range(runs):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    assert result is not None, "runs must be at least 1"
    return min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", type=int, default=100_000)
    parser.add_argument("--principals", type=int, default=5000)
    parser.add_argument("--resources", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = write(
            Path(folder) / "hub.json",
            assignments=args.assignments,
            principals=args.principals,
            resources=args.resources,
        )
        size = path.stat().st_size / 1e6
        json_time, _ = best_of(args.runs, lambda: json.loads(path.read_bytes()))
        load_time, model = best_of(args.runs, lambda: Model(load_snapshot(path)))

    data = model.snapshot.data
    principals = [p["id"] for p in data["principals"]]
    scopes = [r["id"] for r in data["resources"]] + [
        a["properties"]["scope"] for a in data["roleAssignments"][:5000]
    ]
    rng = random.Random(11)
    queries = [
        (rng.choice(principals), rng.choice(scopes), *rng.choice(OPERATIONS))
        for _ in range(args.queries)
    ]

    def answer(explain: bool) -> float:
        evaluator = Evaluator(model.authorization)
        start = time.perf_counter()
        for principal, scope, operation, data_action in queries:
            evaluator.check(principal, scope, operation, data_action=data_action, explain=explain)
        return len(queries) / (time.perf_counter() - start)

    plain = statistics.median(answer(False) for _ in range(args.runs))
    explained = statistics.median(answer(True) for _ in range(args.runs))
    evaluator = Evaluator(model.authorization)
    outcomes: dict[str, int] = {}
    for principal, scope, operation, data_action in queries[:2000]:
        decision = evaluator.check(principal, scope, operation, data_action=data_action)
        outcomes[decision.decision.value] = outcomes.get(decision.decision.value, 0) + 1

    print(
        f"snapshot: {len(data['roleAssignments']):,} role assignments, "
        f"{len(principals):,} principals, {len(data['resources']):,} resources, "
        f"{size:.1f} MB"
    )
    print(f"json.load:               {json_time * 1000:8.0f} ms")
    print(
        f"load + validate + index: {load_time * 1000:8.0f} ms  "
        f"({load_time / json_time:.2f}x json.load; target <= 2x)"
    )
    print(f"queries/s (decision only):   {plain:10,.0f}  (target >= 20,000 on one core)")
    print(f"queries/s (with near misses): {explained:9,.0f}")
    print(f"decisions in a sample of 2,000: {outcomes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
