"""A failing handler or an undecodable request costs one log line, never a traceback above DEBUG
nor an asyncio 'unhandled exception'; the client gets the Kafka error where a response is
possible. Real event loop and TCP sockets; only the handler that raises is a test double."""

from __future__ import annotations

import asyncio
import datetime
import io
import logging
import struct
import types

import pytest
from kio.schema.api_versions.v3.request import ApiVersionsRequest
from kio.schema.produce.v7 import request as produce7
from kio.serial import entity_writer

from core.config.cluster_properties import ClusterConfigStore
from core.protocol.errors import ErrorCode
from core.server import dispatch
from core.server.budget import RequestBudget
from core.server.connection import KafkaConnection
from core.server.context import Services

MiB = 1024 * 1024


def request_frame(body, correlation_id: int = 1) -> bytes:
    header_cls = body.__header_schema__
    header = header_cls(
        request_api_key=body.__api_key__,
        request_api_version=body.__version__,
        correlation_id=correlation_id,
        client_id="unit",
    )
    buf = io.BytesIO()
    entity_writer(header_cls)(buf, header)
    entity_writer(type(body))(buf, body)
    return struct.pack(">i", buf.tell()) + buf.getvalue()


API_VERSIONS = ApiVersionsRequest(client_software_name="t", client_software_version="1")


def failing_module(name: str, handle) -> types.ModuleType:
    module = types.ModuleType(f"core.server.handlers.{name}")
    module.handle = handle
    return module


async def boom(ctx, request):
    raise RuntimeError("boom\nsecond line")


async def not_a_response(ctx, request):
    return "not a response entity"


class Served:
    """One KafkaConnection behind a real TCP listener, with some handlers replaced."""

    def __init__(self, replaced: dict[int, types.ModuleType]) -> None:
        self.handlers = {**dispatch.handlers(), **replaced}
        self.services = Services(
            node_id=0,
            advertised_kafka=("127.0.0.1", 0),
            cluster_id="unit",
            metadata=None,
            topics=None,
            partitions=None,
            cluster_config=ClusterConfigStore(),
            producer_ids=None,
            data_dir=None,
            groups=None,
            config_frontend=None,
        )
        self.budget = RequestBudget(lambda: 32 * MiB)
        self.runs: list[asyncio.Task] = []

    async def _serve(self, reader, writer) -> None:
        connection = KafkaConnection(
            reader, writer, self.services, budget=self.budget, handlers=self.handlers
        )
        await connection.run()

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", port)
        return self

    async def __aexit__(self, *exc) -> None:
        self.writer.close()
        self.server.close()
        await self.server.wait_closed()

    async def send(self, frame: bytes) -> None:
        self.writer.write(frame)
        await self.writer.drain()

    async def recv(self) -> bytes | None:
        try:
            head = await asyncio.wait_for(self.reader.readexactly(4), 5)
            return await asyncio.wait_for(self.reader.readexactly(struct.unpack(">i", head)[0]), 5)
        except (asyncio.IncompleteReadError, ConnectionError):
            return None


@pytest.fixture
def kafka_log(caplog):
    caplog.set_level(logging.DEBUG, logger="ailurus.kafka")
    caplog.set_level(logging.DEBUG, logger="asyncio")
    return caplog


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def assert_no_traceback_above_debug(caplog) -> None:
    for record in caplog.records:
        if record.levelno > logging.DEBUG:
            assert record.exc_info is None, record.getMessage()
            assert "\n" not in record.getMessage()
    assert not [r for r in caplog.records if r.name == "asyncio"]


async def test_a_raising_handler_is_answered_and_logged_once(kafka_log):
    async with Served({18: failing_module("api_versions", boom)}) as served:
        await served.send(request_frame(API_VERSIONS, correlation_id=7))
        frame = await served.recv()
        assert frame is not None
        assert struct.unpack_from(">ih", frame) == (7, ErrorCode.unknown_server_error.value)
        # The connection keeps serving: a second request gets its answer too.
        await served.send(request_frame(API_VERSIONS, correlation_id=8))
        assert struct.unpack_from(">i", await served.recv())[0] == 8
    lines = warnings_of(kafka_log)
    assert len(lines) == 2  # one per failed request
    message = lines[0].getMessage()
    for part in ("api_versions v3", "correlation id 7", "127.0.0.1:", "RuntimeError: boom"):
        assert part in message
    assert "UNKNOWN_SERVER_ERROR" in message
    assert_no_traceback_above_debug(kafka_log)
    assert any(r.exc_info for r in kafka_log.records if r.levelno == logging.DEBUG)


async def test_a_response_that_cannot_be_encoded_is_answered_with_the_error(kafka_log):
    async with Served({18: failing_module("api_versions", not_a_response)}) as served:
        await served.send(request_frame(API_VERSIONS, correlation_id=3))
        frame = await served.recv()
        assert struct.unpack_from(">ih", frame) == (3, ErrorCode.unknown_server_error.value)
    assert len(warnings_of(kafka_log)) == 1
    assert_no_traceback_above_debug(kafka_log)


async def test_a_failed_acks0_produce_closes_the_connection_with_one_line(kafka_log):
    produce = produce7.ProduceRequest(
        transactional_id=None,
        acks=0,
        timeout=datetime.timedelta(seconds=5),
        topic_data=(),
    )
    async with Served({0: failing_module("produce", boom)}) as served:
        await served.send(request_frame(produce))
        assert await served.recv() is None  # closed: no response to carry the error
    lines = warnings_of(kafka_log)
    assert len(lines) == 1 and "acks=0" in lines[0].getMessage()
    assert_no_traceback_above_debug(kafka_log)


async def test_an_undecodable_request_closes_with_one_line_naming_the_peer(kafka_log):
    async with Served({}) as served:
        await served.send(struct.pack(">ihhi", 8, 3, 8, 5))  # Metadata v8, no body at all
        assert await served.recv() is None
    lines = warnings_of(kafka_log)
    assert len(lines) == 1
    message = lines[0].getMessage()
    assert "closing connection from 127.0.0.1:" in message
    assert "metadata v8" in message
    assert_no_traceback_above_debug(kafka_log)
