"""bcrypt runs in threads of its own, below the event loop's priority."""

import os
import sys
import threading

import bcrypt
import pytest

from app.core.security import HASHING_NICENESS, PasswordHasher


@pytest.mark.skipif(sys.platform != "linux", reason="a niceness per thread is Linux's")
async def test_hashing_runs_below_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loop_niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen: list[tuple[str, int]] = []

    def hashpw(password: bytes, salt: bytes) -> bytes:
        thread = threading.current_thread()
        niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        seen.append((thread.name.partition("_")[0], niceness))
        return b"hashed"

    monkeypatch.setattr(bcrypt, "hashpw", hashpw)
    hasher = PasswordHasher(rounds=4)
    try:
        assert await hasher.hash("correct horse battery") == "hashed"
    finally:
        hasher.close()

    assert seen == [("bcrypt", min(loop_niceness + HASHING_NICENESS, 19))]
    # The event loop's own thread keeps its priority.
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == loop_niceness
