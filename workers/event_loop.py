"""The worker process's one asyncio event loop, on its own thread.

Why one loop and not a thread per send: a request spends 150 ms waiting for Twilio, and a
worker keeps 50 of them in flight. As threads, those 50 (and as many again preparing the next
sends) hand the GIL around for every socket operation; on one loop, every answer that has
arrived is read in one go. Moving the broadcast sends onto the loop took a worker's CPU per
message from 1.4 to 0.8 ms in the 1,000/s drain (``bench.broadcast_drain``).

Broadcast batches run on the loop as coroutines; reply threads and RQ jobs hand it one
delivery each and wait for it (``run``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class EventLoopThread:
    """An event loop started on first use, which any other thread can hand coroutines to."""

    def __init__(self, name: str = "event-loop") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name=self.name, daemon=True)
                self._thread.start()
            return self._loop

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the loop and wait for its result, from any thread but the
        loop's own (which would wait for itself forever)."""
        loop = self.loop
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("EventLoopThread.run called from its own loop: await the coroutine instead")
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result()

    def stop(self) -> None:
        """Stop the loop and wait for its thread (tests, and the worker's shutdown)."""
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
