"""benchmarks/bench_scan.py: its loopback server runs in a process of its own (Azure's CPU is
not the scan's), starts, serves the tenant, counts what it received and stops cleanly, leaving
nothing behind but what its temporary directory held."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from benchmarks.bench_scan import LocalServer, ProcessServer, run_scan
from diagnose.collect.scan import ScanScope


def _options(**changes: object) -> SimpleNamespace:
    base = {"concurrency": 8, "hubs": 3, "subscriptions": 2, "latency": 0.0}
    return SimpleNamespace(**{**base, **changes})


@pytest.mark.parametrize("kind", [ProcessServer, LocalServer])
def test_the_benchmark_server_serves_a_scan_and_stops_clean(
    kind: type[ProcessServer] | type[LocalServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = kind(3, 2, 0.0)
    bundle = Path(server.ca_bundle)
    try:
        # its only file, the certificate, is in a temporary directory of its own
        assert bundle.is_file()
        assert bundle.resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())
        assert server.url.startswith("https://127.0.0.1:")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        result, _ = run_scan(server, _options(), ScanScope(), {})
        received, unmatched = server.seen()
        assert sorted(h.target.rsplit("/", 1)[-1] for h in result.hubs) == ["hub0", "hub1", "hub2"]
        assert all(h.collection is not None for h in result.hubs)
        assert unmatched == []
        assert received and all(is_read for _, _, is_read in received)
        server.reset()
        assert server.seen() == ([], [])
    finally:
        server.stop()
    assert not bundle.exists()  # its temporary directory went with it
    if isinstance(server, ProcessServer):
        assert server.exitcode == 0  # it stopped on being asked, not killed


def test_the_benchmark_says_when_each_process_had_its_last_hub(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each hub's arrival is timed, and the last of each process's share reported (the
    scan's own first), shared as the scan shares them."""
    from benchmarks.bench_scan import last_hubs
    from diagnose.collect import scanworker

    server = LocalServer(3, 2, 0.0)
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        finished: dict[str, float] = {}
        result, start = run_scan(server, _options(), ScanScope(), {}, finished)
    finally:
        server.stop()
    assert sorted(finished) == sorted(h.target for h in result.hubs)
    assert all(at >= start for at in finished.values())
    monkeypatch.setattr(scanworker, "cores", lambda: 2)
    monkeypatch.setattr(scanworker, "MIN_HUBS", 1)
    by_subscription: dict[str, list[float]] = {}
    for target, at in finished.items():
        by_subscription.setdefault(target.split("/")[2].lower(), []).append(at - start)
    ends = last_hubs(result, finished, start, 8)
    assert sorted(ends) == sorted(max(times) for times in by_subscription.values())
