"""Shared test-session setup: no real network, and the Azurite fixtures."""

from __future__ import annotations

import logging

import pytest

from tests.support import netguard
from tests.support.azurite import azurite, blob_container_name

__all__ = ["azurite", "blob_container_name"]


def pytest_configure(config: pytest.Config) -> None:
    # Installed before collection, so imports at collection time are covered too.
    netguard.install()
    # The Agents SDK warns on every unauthenticated turn; the app keeps it at ERROR as well.
    logging.getLogger("microsoft_agents").setLevel(logging.ERROR)


def pytest_unconfigure(config: pytest.Config) -> None:
    netguard.uninstall()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that use Azurite get the `azurite` marker, so `-m "not azurite"` deselects them.
    for item in items:
        if "azurite" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.azurite)
