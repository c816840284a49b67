"""Every test gets its own empty data folder, so no test touches the user's real history."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(folder))
    return folder
