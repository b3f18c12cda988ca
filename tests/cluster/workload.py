"""The Jepsen-style workload of the cluster fault tests: producers (confluent-kafka idempotent
acks=all, kafka-python idempotent acks=all) writing unique values to chosen partitions, a
consumer group (one confluent-kafka and one kafka-python member) reading and committing
throughout, and the final full read, all recorded in a `History`.

Every client runs in a thread of the test process; each is bounded (in-flight sends, poll
sizes) and stops on `Workload.stop()`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from tests.support.jepsen import FinalReads, History, Partition

SEND_INTERVAL_S = 0.004  # per producer: ~250 values/s at most
MAX_IN_FLIGHT = 200  # per producer: values invoked and not yet answered
MESSAGE_TIMEOUT_MS = 15_000
SESSION_TIMEOUT_MS = 6_000
FINAL_READ_TIMEOUT_S = 20.0
MAX_ERRORS = 100
T = TypeVar("T")


class Workload:
    def __init__(self, bootstrap: str, topic: str, partitions: int, group: str = "jepsen") -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.partitions = partitions
        self.group = group
        self.history = History()
        self.errors: list[str] = []  # client exceptions (not anomalies): shown on failure
        self._stop = threading.Event()
        self._stop_consumers = threading.Event()
        self._threads: list[threading.Thread] = []

    def note(self, error: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def partition(self, i: int) -> Partition:
        return (self.topic, i % self.partitions)

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self, consumers: bool = True) -> Workload:
        runners: list[Callable[[], None]] = [self._confluent_producer, self._kafka_python_producer]
        if consumers:
            runners += [self._confluent_consumer, self._kafka_python_consumer]
        for run in runners:
            t = threading.Thread(target=self._guard, args=(run,), name=run.__name__, daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _guard(self, run: Callable[[], None]) -> None:
        try:
            run()
        except Exception as exc:  # recorded: the test shows it next to the check
            self.note(f"{run.__name__}: {type(exc).__name__}: {exc}")

    def stop(self, drain_s: float = 5.0) -> None:
        """Stop the producers (waiting for their answers), let the consumers read for up to
        `drain_s` more, then stop them."""
        self._stop.set()
        for t in self._threads[:2]:
            t.join(MESSAGE_TIMEOUT_MS / 1000 + 10)
        self._wait_quiet(drain_s)
        self._stop_consumers.set()
        for t in self._threads[2:]:
            t.join(SESSION_TIMEOUT_MS / 1000 + 10)
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            self.errors.append(f"client threads still running: {alive}")

    def _wait_quiet(self, max_s: float, quiet_s: float = 1.0) -> None:
        """Until the consumers polled nothing new for `quiet_s` (they caught up), at most max_s."""
        now = time.monotonic()
        deadline, quiet_since, seen = now + max_s, now, self.history.count("poll")
        while (now := time.monotonic()) < deadline and now - quiet_since < quiet_s:
            time.sleep(0.1)
            polled = self.history.count("poll")
            if polled != seen:
                seen, quiet_since = polled, time.monotonic()

    # ---- producers ----------------------------------------------------------------------------
    def _confluent_producer(self) -> None:
        from confluent_kafka import Producer

        name = "confluent-producer"
        producer = Producer(
            {
                "bootstrap.servers": self.bootstrap,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 2,
                "message.timeout.ms": MESSAGE_TIMEOUT_MS,
                "request.timeout.ms": 5_000,
                "log_level": 3,
            }
        )
        pending = [0]

        def delivered(err, msg) -> None:
            pending[0] -= 1
            value = msg.value().decode()
            p = (msg.topic(), msg.partition())
            if err is None:
                self.history.ok(name, p, value, msg.offset())
            else:  # timed out or fatal: the value may still have been written
                self.history.info(name, p, value, str(err))

        i = 0
        while not self._stop.is_set():
            if pending[0] < MAX_IN_FLIGHT:
                value, p = f"c{i}", self.partition(i)
                self.history.invoke(name, p, value)
                pending[0] += 1
                try:
                    producer.produce(p[0], value.encode(), partition=p[1], on_delivery=delivered)
                except Exception as exc:  # BufferError, KafkaException: not sent
                    pending[0] -= 1
                    self.history.fail(name, p, value, repr(exc))
                i += 1
            producer.poll(SEND_INTERVAL_S)
        producer.flush(MESSAGE_TIMEOUT_MS / 1000 + 5)

    def _kafka_python_producer(self) -> None:
        from kafka import KafkaProducer

        name = "kafka-python-producer"
        producer = KafkaProducer(
            bootstrap_servers=self.bootstrap.split(","),
            acks="all",
            enable_idempotence=True,
            linger_ms=2,
            request_timeout_ms=5_000,
            delivery_timeout_ms=MESSAGE_TIMEOUT_MS,
        )
        pending = threading.Semaphore(MAX_IN_FLIGHT)

        def answered(value: str, p: Partition) -> tuple[Callable, Callable]:
            def ok(md) -> None:
                pending.release()
                self.history.ok(name, p, value, md.offset)

            def err(exc) -> None:
                pending.release()
                self.history.info(name, p, value, repr(exc))

            return ok, err

        i = 0
        try:
            while not self._stop.is_set():
                if pending.acquire(timeout=0.1):
                    value, p = f"k{i}", self.partition(i + 1)
                    self.history.invoke(name, p, value)
                    ok, err = answered(value, p)
                    try:
                        future = producer.send(p[0], value.encode(), partition=p[1])
                    except Exception as exc:
                        pending.release()
                        self.history.fail(name, p, value, repr(exc))
                    else:
                        future.add_callback(ok).add_errback(err)
                    i += 1
                time.sleep(SEND_INTERVAL_S)
            producer.flush(MESSAGE_TIMEOUT_MS / 1000 + 5)
        finally:
            producer.close(timeout=5)

    # ---- the consumer group ---------------------------------------------------------------------
    def _confluent_consumer(self) -> None:
        from confluent_kafka import Consumer, TopicPartition

        name = "confluent-consumer"
        consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": self.group,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "session.timeout.ms": SESSION_TIMEOUT_MS,
                "log_level": 3,
            }
        )
        consumer.subscribe([self.topic])
        try:
            while not self._stop_consumers.is_set():
                msgs = consumer.consume(num_messages=500, timeout=0.2)
                last: dict[int, int] = {}
                for m in msgs:
                    if m.error() is None:
                        p = (m.topic(), m.partition())
                        self.history.poll(name, p, m.offset(), m.value().decode())
                        last[m.partition()] = m.offset()
                if not last:
                    continue
                offsets = [TopicPartition(self.topic, p, o + 1) for p, o in last.items()]
                try:
                    done = consumer.commit(offsets=offsets, asynchronous=False)
                except Exception as exc:  # rebalance in progress, coordinator moved: not committed
                    self.note(f"{name} commit: {exc}")
                    continue
                for tp in done or []:
                    if tp.error is None:
                        self.history.commit(name, self.group, (tp.topic, tp.partition), tp.offset)
        finally:
            consumer.close()

    def _kafka_python_consumer(self) -> None:
        from kafka import KafkaConsumer
        from kafka.structs import OffsetAndMetadata, TopicPartition

        name = "kafka-python-consumer"
        consumer = KafkaConsumer(
            self.topic,
            bootstrap_servers=self.bootstrap.split(","),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=SESSION_TIMEOUT_MS,
            max_poll_records=500,
        )
        try:
            while not self._stop_consumers.is_set():
                batches = consumer.poll(timeout_ms=200)
                last: dict[int, int] = {}
                for tp, records in batches.items():
                    for r in records:
                        self.history.poll(
                            name, (tp.topic, tp.partition), r.offset, r.value.decode()
                        )
                        last[tp.partition] = r.offset
                if not last:
                    continue
                offsets = {
                    TopicPartition(self.topic, p): OffsetAndMetadata(o + 1, "", -1)
                    for p, o in last.items()
                }
                try:
                    consumer.commit(offsets)
                except Exception as exc:
                    self.note(f"{name} commit: {exc}")
                    continue
                for tp, om in offsets.items():
                    self.history.commit(name, self.group, (tp.topic, tp.partition), om.offset)
        finally:
            consumer.close()

    # ---- after the run ------------------------------------------------------------------------
    def record_committed(self) -> None:
        """The group's committed offsets as the coordinator answers now, recorded as a commit
        observation (a regression below a recorded commit is then an anomaly)."""
        from confluent_kafka import Consumer, TopicPartition

        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": self.group})
        try:
            tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
            for tp in retry(lambda: consumer.committed(tps, timeout=5), FINAL_READ_TIMEOUT_S):
                if tp.error is None and tp.offset >= 0:
                    self.history.commit(
                        "offset-fetch", self.group, (tp.topic, tp.partition), tp.offset
                    )
        finally:
            consumer.close()

    def final_read(self, timeout_s: float = FINAL_READ_TIMEOUT_S) -> tuple[FinalReads, dict]:
        """Every partition read from offset 0 to its high watermark: (records, high watermarks)."""
        return final_read(self.bootstrap, self.topic, self.partitions, timeout_s)


def retry(call: Callable[[], T], timeout_s: float, interval_s: float = 0.5) -> T:
    """call() until it does not raise (a leader or coordinator moving), for at most timeout_s."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return call()
        except Exception:
            if time.monotonic() >= deadline:
                raise
            time.sleep(interval_s)


def high_watermarks(
    bootstrap: str, topic: str, partitions: int, timeout_s: float
) -> dict[Partition, int]:
    """Each partition's high watermark (ListOffsets latest). A failed attempt is retried with a
    new client (so a stale metadata cache in librdkafka cannot hide a healed cluster)."""
    from confluent_kafka import Consumer, TopicPartition

    deadline = time.monotonic() + timeout_s
    while True:
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "hw", "log_level": 3})
        try:
            return {
                (topic, p): consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1]
                for p in range(partitions)
            }
        except Exception as exc:
            if time.monotonic() >= deadline:
                raise AssertionError(
                    f"{topic}: no high watermarks after {timeout_s}s: {exc}"
                ) from None
        finally:
            consumer.close()
        time.sleep(0.5)


def final_read(
    bootstrap: str, topic: str, partitions: int, timeout_s: float = FINAL_READ_TIMEOUT_S
) -> tuple[FinalReads, dict[Partition, int]]:
    from confluent_kafka import Consumer, TopicPartition

    deadline = time.monotonic() + timeout_s
    highs = high_watermarks(bootstrap, topic, partitions, timeout_s)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "final-read",
            "enable.auto.commit": False,
            "log_level": 3,
        }
    )
    try:
        consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        out: FinalReads = {(topic, p): [] for p in range(partitions)}
        nxt = {(topic, p): 0 for p in range(partitions)}
        while any(nxt[p] < highs[p] for p in nxt) and time.monotonic() < deadline:
            for m in consumer.consume(num_messages=1000, timeout=0.5):
                if m.error() is None:
                    key = (m.topic(), m.partition())
                    out[key].append((m.offset(), m.value().decode()))
                    nxt[key] = m.offset() + 1
        short = {p: (nxt[p], highs[p]) for p in nxt if nxt[p] < highs[p]}
        assert not short, f"final read incomplete after {timeout_s}s: (read to, high) {short}"
        return out, highs
    finally:
        consumer.close()
