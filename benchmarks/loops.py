"""Running a coroutine to completion from synchronous code, wherever that code is called."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coroutine)``, in a thread of its own when this thread already runs an
    event loop: Playwright's sync API keeps one running while a browser is open (the test
    suite's browser fixture), and so does a Jupyter kernel."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(coroutine)
        except BaseException as exc:  # re-raised in the calling thread
            result["error"] = exc

    thread = threading.Thread(target=run, name="run-async")
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]
