import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests want to see a bug's traceback, not the one-line internal-error message.
os.environ.setdefault("DIAGNOSE_DEBUG", "1")


@pytest.fixture(autouse=True)
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`diagnose access` keeps an index of each snapshot in the user's cache directory: a test
    writes to a temporary one of its own instead (processes it starts inherit it)."""
    folder = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIAGNOSE_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture()
def requests_transport() -> Iterator[None]:
    """Clients built in the test send through requests' transport: for tests that answer
    with the `responses` library, which patches requests' adapter (the default http.client
    transport never reaches it)."""
    from diagnose.collect.pipeline import http_client

    with http_client("requests"):
        yield
