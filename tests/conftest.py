"""Every test gets its own empty data folder and settings file, so no test touches the user's
real history or settings, and no VOICECOACH_* variable of the machine leaks in.

The end-to-end sessions on virtual audio devices start in the background as soon as the
tests are collected, when they are among them (see test_virtual_audio.py); the tests that
check them run last.
"""

from __future__ import annotations

import pytest

import voicecoach  # noqa: F401  first, before numpy: it keeps OpenBLAS to one thread, as it runs


@pytest.fixture(autouse=True)
def private_data_dir(tmp_path_factory, monkeypatch):
    import os

    for name in list(os.environ):
        if name.startswith("VOICECOACH_") and name != "VOICECOACH_PLAYER":
            monkeypatch.delenv(name)
    folder = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("VOICECOACH_DATA_DIR", str(folder))
    monkeypatch.setenv("VOICECOACH_CONFIG", str(folder / "config.toml"))
    return folder


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what is not run
def pytest_collection_modifyitems(session, config, items):
    """Start the background sessions when a test that checks them is selected, and leave
    those tests to the very end, so that every other test (the real-time ones too) runs
    while the sessions do."""
    items.sort(key=lambda item: "runs" in getattr(item, "fixturenames", ()))
    wanted = items and "runs" in getattr(items[-1], "fixturenames", ())
    if wanted and not config.option.collectonly:
        import test_virtual_audio

        test_virtual_audio.start_early()
