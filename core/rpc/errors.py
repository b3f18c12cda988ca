"""RPC errors as callers see them. `retriable` says whether the same call may succeed later
(to the same node, after a reconnect or once the peer has caught up)."""

from __future__ import annotations

from core.rpc.frame import Status


class RpcError(Exception):
    retriable = False


class RpcUnavailable(RpcError):
    """No connection to the peer: it refused or timed out, or we are in reconnect backoff."""

    retriable = True


class RpcConnectionLost(RpcUnavailable):
    """The connection closed while this request was in flight: it may or may not have run."""


class RpcTimeout(RpcError):
    """No response within the request's timeout (waiting for a slot, connecting, or the reply)."""

    retriable = True


class HandshakeRefused(RpcError):
    """The peer refused our hello, or its hello was not the node we expected."""


class FrameTooLarge(RpcError):
    """The request would exceed the frame bound; it was not sent."""


class RpcStatusError(RpcError):
    """The peer answered with a non-ok status (never a traceback: the reason is in its log)."""

    def __init__(self, status: Status, method: int, detail: str = "") -> None:
        self.status = status
        self.method = method
        super().__init__(f"method {method}: {status.name}{': ' + detail if detail else ''}")

    @property
    def retriable(self) -> bool:  # type: ignore[override]
        return self.status == Status.timeout
