"""Confluent's REST proxy errors: `{"error_code": N, "message": "..."}` with the right status."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiokafka import errors as kerr

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
V2_JSON = "application/vnd.kafka.v2+json"

BAD_REQUEST = 40002
UNAUTHENTICATED = 40101
UNAUTHORIZED = 40301
TOPIC_NOT_FOUND = 40401
PARTITION_NOT_FOUND = 40402
CONSUMER_NOT_FOUND = 40403
FORMAT_MISMATCH = 40601
SERIALIZATION = 40801
# Confluent's v2 consumers answer 40902 for a duplicate instance name and 40903 ("Illegal state: "
# and the Java consumer's IllegalStateException message) for subscribing while partitions are
# assigned or while subscribed the other way (topics vs pattern), assigning while subscribed, and
# seeking a partition not assigned. 40901 ("already subscribed") is only its v1 API's, whose
# topic read subscribed implicitly: no v2 route answers it (kafka-rest ConsumersResource).
CONSUMER_EXISTS = 40902
ILLEGAL_STATE = 40903
INVALID_CONSUMER_CONFIG = 42204
INVALID_DATA = 42205
TOO_MANY_INSTANCES = 42901
KAFKA_ERROR = 50002
KAFKA_RETRIABLE = 50003
BROKER_NOT_AVAILABLE = 50302


def status_for(error_code: int) -> int:
    """Confluent/Redpanda: the code itself below 600, else its first three digits."""
    return error_code if error_code < 600 else error_code // 100


class ProxyError(Exception):
    def __init__(self, error_code: int, message: str) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message


def illegal_state(message: str) -> ProxyError:
    """Confluent's 40903: "Illegal state: " and the Kafka consumer's own message."""
    return ProxyError(ILLEGAL_STATE, f"Illegal state: {message}")


MUTUALLY_EXCLUSIVE = "Subscription to topics, partitions and pattern are mutually exclusive"


def json_response(data: Any, status: int = 200, content_type: str = V2_JSON) -> web.Response:
    return web.Response(status=status, text=json.dumps(data), content_type=content_type)


def error_response(error_code: int, message: str) -> web.Response:
    body = {"error_code": error_code, "message": message}
    return json_response(body, status_for(error_code))


_NOT_AVAILABLE = (
    kerr.LeaderNotAvailableError,
    kerr.NotLeaderForPartitionError,
    kerr.BrokerNotAvailableError,
    kerr.ReplicaNotAvailableError,
    kerr.NodeNotReadyError,
    kerr.KafkaConnectionError,
)
_AUTHZ = (
    kerr.TopicAuthorizationFailedError,
    kerr.GroupAuthorizationFailedError,
    kerr.ClusterAuthorizationFailedError,
)


def kafka_error_code(exc: BaseException) -> int:
    """The proxy error code for a Kafka client error (Redpanda's mapping, pandaproxy/error.cc)."""
    if isinstance(exc, kerr.UnknownTopicOrPartitionError):
        return PARTITION_NOT_FOUND
    if isinstance(exc, kerr.UnknownMemberIdError):
        return CONSUMER_NOT_FOUND
    if isinstance(exc, _AUTHZ):
        return UNAUTHORIZED
    if isinstance(exc, kerr.IllegalStateError):
        return ILLEGAL_STATE
    if isinstance(exc, _NOT_AVAILABLE):
        return BROKER_NOT_AVAILABLE
    if isinstance(exc, (kerr.OffsetOutOfRangeError, kerr.InvalidTopicError)):
        return BAD_REQUEST
    if isinstance(exc, kerr.RecordTooLargeError | kerr.MessageSizeTooLargeError):
        return INVALID_DATA
    if isinstance(exc, kerr.KafkaTimeoutError) or getattr(exc, "retriable", False):
        return KAFKA_RETRIABLE
    return KAFKA_ERROR


def from_kafka(exc: BaseException) -> ProxyError:
    return ProxyError(kafka_error_code(exc), f"{type(exc).__name__}: {exc}".rstrip(": "))


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure leaves as a Confluent error body; bugs are logged, never shown."""
    try:
        return await handler(request)
    except ProxyError as exc:
        return error_response(exc.error_code, exc.message)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        if exc.status == 413:
            return error_response(INVALID_DATA, f"request body too large: {exc.text}")
        return error_response(exc.status, f"HTTP {exc.status} {exc.reason}")
    except kerr.KafkaError as exc:
        return error_response(kafka_error_code(exc), str(exc) or type(exc).__name__)
    except Exception:
        log.exception("proxy: unhandled error in %s %s", request.method, request.path)
        return error_response(50001, "internal server error")
