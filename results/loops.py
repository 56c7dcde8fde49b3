"""Where the funnel's asynchronous work runs: on the event loop of the ASGI server that serves this process when there
is one, else in the caller's thread; and, once the main thread has ended, on a loop of its own.

Under an ASGI server, recounts and trailing refreshes are handed to the server's loop (see
``results.refreshes.TrailingRefreshes``); the loop is noted by ``with_server_loop``, which wraps the ASGI application.
Elsewhere (WSGI, commands) trailing refreshes wait on timer threads, and the last of them is sent before the process
exits: ``call_when_main_thread_ends`` runs a flush once the main thread is done. By then the interpreter has shut its
thread pools (before it joins the threads that are left), so asgiref's ``async_to_sync``, which starts its loop in a
pool, can no longer run; ``call_async`` then runs the coroutine on a loop of its own in the calling thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import ParamSpec, TypeVar, TypeVarTuple

from asgiref.sync import async_to_sync
from asgiref.typing import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope

P = ParamSpec("P")
T = TypeVar("T")
Ts = TypeVarTuple("Ts")

# The event loop that last called the ASGI application in this process.
_served_on: asyncio.AbstractEventLoop | None = None
# Set once the main thread has ended: the interpreter's thread pools accept no more work.
_pools_closed = threading.Event()


def with_server_loop(application: ASGI3Application) -> ASGI3Application:
    """``application``, noting the event loop that serves it so the funnel can hand its work to that loop (the loop
    that called it last: a server has one; tests run the application on a loop of each test's own)."""

    async def serve(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        global _served_on
        _served_on = asyncio.get_running_loop()
        await application(scope, receive, send)

    return serve


def server_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop of the ASGI server serving this process, or None (WSGI, commands, tests without one)."""
    loop = _served_on
    return loop if loop is not None and loop.is_running() else None


def call_when_main_thread_ends(callback: Callable[[], None]) -> None:
    """Run ``callback`` once the main thread has ended, in a thread the interpreter waits for before it exits."""

    def wait_then_call() -> None:
        threading.main_thread().join()
        _pools_closed.set()
        callback()

    threading.Thread(target=wait_then_call, name="results-at-exit", daemon=False).start()


class _InlineLoop(asyncio.SelectorEventLoop):
    """An event loop that makes its blocking calls (looking a host name up) in the calling thread, for when no pool
    takes work any more."""

    def run_in_executor(self, executor: Executor | None, func: Callable[[*Ts], T], *args: *Ts) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self.create_future()
        try:
            future.set_result(func(*args))
        except Exception as error:  # noqa: BLE001 - handed to the awaiting coroutine, as a pool would
            future.set_exception(error)
        return future


def call_async(function: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    """Await ``function(*args, **kwargs)`` from synchronous code: through asgiref (on the server's loop when called
    from one of its threads), or on a loop of this thread's own once the main thread has ended."""
    if not _pools_closed.is_set():
        return async_to_sync(function)(*args, **kwargs)
    loop = _InlineLoop()
    try:
        return loop.run_until_complete(function(*args, **kwargs))
    finally:
        loop.close()
