"""A minimal Kafka wire client for tests that need to send exact (or broken) frames."""

from __future__ import annotations

import io
import socket
import struct

from kio.index import load_response_schema
from kio.serial import entity_reader, entity_writer


class RawClient:
    def __init__(self, port: int, timeout_s: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
        self._correlation = 0

    def close(self) -> None:
        self.sock.close()

    def send_frame(self, payload: bytes) -> None:
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def recv_frame(self) -> bytes | None:
        head = self._recv_exact(4)
        if head is None:
            return None
        (size,) = struct.unpack(">i", head)
        return self._recv_exact(size)

    def _recv_exact(self, n: int) -> bytes | None:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def is_closed_by_peer(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, BrokenPipeError):
            return True

    def send_request(self, body, *, client_id: str = "raw-test") -> int:
        """Send a kio request entity without waiting; returns its correlation id."""
        self._correlation += 1
        header_cls = body.__header_schema__
        header = header_cls(
            request_api_key=body.__api_key__,
            request_api_version=body.__version__,
            correlation_id=self._correlation,
            client_id=client_id,
        )
        buf = io.BytesIO()
        entity_writer(header_cls)(buf, header)
        entity_writer(type(body))(buf, body)
        self.send_frame(buf.getvalue())
        return self._correlation

    def request(self, body, *, client_id: str = "raw-test"):
        """Send a kio request entity; return the decoded response entity."""
        self.send_request(body, client_id=client_id)
        frame = self.recv_frame()
        assert frame is not None, "connection closed instead of a response"
        response_cls = load_response_schema(body.__api_key__, body.__version__)
        header, used = entity_reader(response_cls.__header_schema__)(frame, 0)
        assert header.correlation_id == self._correlation
        response, _ = entity_reader(response_cls)(frame, used)
        return response


def fetch_v11(
    topic: str,
    *,
    partition: int = 0,
    offset: int = 0,
    max_bytes: int = 1 << 20,
    partition_max_bytes: int = 1 << 20,
    min_bytes: int = 1,
):
    """A Fetch v11 of one partition that does not wait (max_wait 0)."""
    import datetime

    from kio.schema.fetch.v11 import request as fetch11

    return fetch11.FetchRequest(
        replica_id=-1,
        max_wait=datetime.timedelta(0),
        min_bytes=min_bytes,
        max_bytes=max_bytes,
        isolation_level=0,
        session_id=0,
        session_epoch=-1,
        forgotten_topics_data=(),
        rack_id="",
        topics=(
            fetch11.FetchTopic(
                topic=topic,
                partitions=(
                    fetch11.FetchPartition(
                        partition=partition,
                        current_leader_epoch=-1,
                        fetch_offset=offset,
                        log_start_offset=-1,
                        partition_max_bytes=partition_max_bytes,
                    ),
                ),
            ),
        ),
    )
