"""A one-shot result that the pure coordinator core resolves and handlers await.

The core never needs an event loop: it resolves completions and runs their
callbacks synchronously, so a ManualClock test can drive it step by step and read
`.value` directly. Handlers `await` a completion; only then is an asyncio future
made, on the running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_CALLBACKS_MAX = 64  # a completion has a handful of listeners, never an unbounded number


class Completion(Generic[T]):
    __slots__ = ("_done", "_value", "_callbacks", "_futures")

    def __init__(self) -> None:
        self._done = False
        self._value: T | None = None
        self._callbacks: list[Callable[[T], None]] = []
        self._futures: list[asyncio.Future[T]] = []

    @classmethod
    def resolved(cls, value: T) -> Completion[T]:
        completion: Completion[T] = cls()
        completion.resolve(value)
        return completion

    @property
    def done(self) -> bool:
        return self._done

    @property
    def value(self) -> T:
        assert self._done, "completion read before it was resolved"
        return self._value  # type: ignore[return-value]

    def resolve(self, value: T) -> None:
        assert not self._done, "a completion resolves once"
        self._done = True
        self._value = value
        callbacks, self._callbacks = self._callbacks, []
        futures, self._futures = self._futures, []
        for callback in callbacks:
            callback(value)
        for future in futures:
            if not future.done():
                future.set_result(value)

    def on_done(self, callback: Callable[[T], None]) -> None:
        """Run `callback(value)` when resolved (now, if it already is)."""
        if self._done:
            callback(self._value)  # type: ignore[arg-type]
            return
        assert len(self._callbacks) < _CALLBACKS_MAX, "too many listeners on one completion"
        self._callbacks.append(callback)

    def __await__(self) -> Generator[Any, None, T]:
        if self._done:
            return self._value  # type: ignore[return-value]
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._futures.append(future)
        return (yield from future.__await__())


def gather(completions: list[Completion[T]]) -> Completion[list[T]]:
    """One completion resolved with every value, in order, once all are resolved."""
    result: Completion[list[T]] = Completion()
    remaining = [len(completions)]
    if not completions:
        result.resolve([])
        return result

    def one_done(_: T) -> None:
        remaining[0] -= 1
        if remaining[0] == 0:
            result.resolve([c.value for c in completions])

    for completion in completions:
        completion.on_done(one_done)
    return result
