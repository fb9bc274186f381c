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
    """Each hub's arrival is timed, with whether a worker process collected it (its hubs
    come in on the thread that reads the worker), and the last of each kind reported."""
    import threading

    from benchmarks.bench_scan import _finish, last_hubs
    from diagnose.collect.scanworker import READER_THREAD

    server = LocalServer(3, 2, 0.0)
    try:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", server.ca_bundle)
        finished: dict[str, tuple[float, bool]] = {}
        result, start = run_scan(server, _options(), ScanScope(), {}, finished)
    finally:
        server.stop()
    assert sorted(finished) == sorted(h.target for h in result.hubs)
    assert all(at >= start and not in_worker for at, in_worker in finished.values())
    assert last_hubs(finished, start) == [max(at for at, _ in finished.values()) - start]
    reader = threading.Thread(target=_finish, args=(finished, "late"), name=READER_THREAD)
    reader.start()
    reader.join()
    own, theirs = last_hubs(finished, start)
    assert finished["late"][1] and theirs == finished["late"][0] - start > own
