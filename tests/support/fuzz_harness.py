"""Send hostile or random frames to a real broker and check it keeps serving others.

`FuzzTarget` wraps one broker process: `exchange` sends one frame on a fresh connection
and waits briefly for an answer or a close; `probe` proves liveness from another
connection (ApiVersions and Metadata answered, process alive). Seeds come from
FUZZ_SEED (random if unset, always printed) and budgets from FUZZ_EXAMPLES, so a
failure is replayed by rerunning with the printed seed.
"""

from __future__ import annotations

import os
import random
import socket
import struct
import time
from dataclasses import dataclass

from kio.index import load_response_schema
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.errors import ErrorCode
from kio.schema.metadata.v8.request import MetadataRequest
from kio.serial import entity_reader

from tests.support.broker import BrokerProcess
from tests.support.raw_client import RawClient

REPLY_WAIT_S = 0.5


def fuzz_seed() -> int:
    """FUZZ_SEED, or a fresh random seed; printed either way so a failure can be replayed."""
    raw = os.environ.get("FUZZ_SEED")
    seed = int(raw) if raw else random.SystemRandom().randrange(2**32)
    print(f"fuzz seed: FUZZ_SEED={seed}")
    return seed


def fuzz_examples(default: int) -> int:
    """FUZZ_EXAMPLES (the long run's budget per test), else the default run's."""
    raw = os.environ.get("FUZZ_EXAMPLES")
    return int(raw) if raw else default


def derandomized() -> bool:
    """Fixed examples in the bounded default run (CI sees the same cases every time); the long
    run (`make fuzz`, FUZZ_EXAMPLES) or FUZZ_RANDOM=1 draws new ones."""
    return not (os.environ.get("FUZZ_EXAMPLES") or os.environ.get("FUZZ_RANDOM"))


def fuzz_seconds(default: float) -> float:
    """FUZZ_SECONDS: a wall-clock budget per test (examples past it are skipped), so the
    bounded default run stays about a minute on a loaded machine; the long run sets both."""
    raw = os.environ.get("FUZZ_SECONDS")
    if raw:
        return float(raw)
    return float("inf") if os.environ.get("FUZZ_EXAMPLES") else default


@dataclass
class Outcome:
    kind: str  # "reply" | "closed" | "silent" (no answer within the wait)
    payload: bytes | None = None


class FuzzTarget:
    def __init__(self, broker: BrokerProcess) -> None:
        self.broker = broker
        self.sent = 0

    def exchange(self, frame: bytes, wait_s: float = REPLY_WAIT_S) -> Outcome:
        """Send `frame` (size prefix included) on a new connection; what came back."""
        self.sent += 1
        sock = socket.create_connection(("127.0.0.1", self.broker.kafka_port), timeout=5)
        try:
            sock.sendall(frame)
            sock.settimeout(wait_s)
            return _read_reply(sock)
        except (ConnectionResetError, BrokenPipeError):
            return Outcome("closed")
        finally:
            sock.close()

    def probe(self, context: str = "") -> None:
        """ApiVersions and Metadata answered on another connection; the process alive."""
        assert self.broker.proc.poll() is None, f"broker died {context}\n{self.log_tail()}"
        client = RawClient(self.broker.kafka_port, timeout_s=10)
        try:
            versions = client.request(
                ApiVersionsRequest(client_software_name="probe", client_software_version="1")
            )
            assert versions.error_code == ErrorCode.none, context
            metadata = client.request(
                MetadataRequest(
                    topics=None,
                    allow_auto_topic_creation=False,
                    include_cluster_authorized_operations=False,
                    include_topic_authorized_operations=False,
                )
            )
            assert metadata.brokers, context
        except (OSError, AssertionError) as exc:
            raise AssertionError(
                f"liveness probe failed {context}: {exc}\n{self.log_tail()}"
            ) from None
        finally:
            client.close()

    def log_tail(self, chars: int = 3000) -> str:
        return self.broker.log_text()[-chars:]


def _read_reply(sock: socket.socket) -> Outcome:
    try:
        head = _recv_exact(sock, 4)
        if head is None:
            return Outcome("closed")
        (size,) = struct.unpack(">i", head)
        body = _recv_exact(sock, size)
        return Outcome("closed") if body is None else Outcome("reply", body)
    except TimeoutError:
        return Outcome("silent")


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


DESCRIBE_TRANSACTIONS_KEY = 65


def decode_reply(payload: bytes, api_key: int, api_version: int, correlation_id: int):
    """The response entity of a reply; asserts the correlation id and that it all parses.

    One exception: kio reads DescribeTransactions' TransactionStartTimeMs as a datetime and
    refuses a negative one, but Kafka (and this broker) answer -1 for an id with no
    transaction running (Empty, or after InitProducerId): such a reply is taken as parsed
    (None), as Kafka's own clients take it."""
    from kio.serial.errors import OutOfBoundValue

    cls = load_response_schema(api_key, api_version)
    header, used = entity_reader(cls.__header_schema__)(payload, 0)
    assert header.correlation_id == correlation_id, (header.correlation_id, correlation_id)
    try:
        body, used_body = entity_reader(cls)(payload, used)
    except OutOfBoundValue as exc:
        if api_key == DESCRIBE_TRANSACTIONS_KEY and "negative timestamp" in str(exc):
            return None
        raise
    assert used + used_body == len(payload), "trailing bytes in the response"
    return body


def wait_for_log(broker: BrokerProcess, needle: str, since: int, timeout_s: float = 5.0) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = broker.log_text()[since:]
        if needle in text:
            return text
        time.sleep(0.05)
    raise AssertionError(f"{needle!r} not logged:\n{broker.log_text()[since:][-2000:]}")


def fuzz_operation(operation, max_examples: int, request_timeout_s: float = 10.0) -> None:
    """Schemathesis examples of one OpenAPI operation against a live server: never a 5xx."""
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomized(),
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case) -> None:
        response = case.call(timeout=request_timeout_s)
        case.validate_response(response, checks=[not_a_server_error])

    run()
