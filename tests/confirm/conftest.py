"""Fixtures for the torch confirmation tests: a shared worker client and temp workspaces."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[2] / "server"
if str(SERVER) not in sys.path:
    sys.path.insert(0, str(SERVER))

from shapelens.confirm.client import ConfirmClient  # noqa: E402


@pytest.fixture(scope="session")
def client():
    """One warm worker for the tests that only need answers (cold start paid once)."""
    c = ConfirmClient(timeout=60.0)
    yield c
    c.close()


@pytest.fixture
def workspace(tmp_path):
    """A temp workspace; ``write(name, text)`` creates a file and returns its path."""

    class WS:
        root = tmp_path

        def write(self, name: str, text: str) -> Path:
            p = tmp_path / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
            return p

    return WS()
