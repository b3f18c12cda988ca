"""Byte-level mutations of valid request frames (issue 19): no frame, however broken,
stops the broker or keeps it from serving other clients.

Two parts, one broker: every length and count of a valid request of every advertised
key and version made huge (positions from the broker's own schema walker), each of which
must close its connection; then random mutations (truncation, bit flips, wrong claims,
header version swaps, inserted and deleted bytes, wrong size prefixes) with a liveness
probe from another connection every few frames.

Replay: the seed is printed (FUZZ_SEED=...); rerun with it. Longer run: FUZZ_EXAMPLES=5000.
"""

from __future__ import annotations

import collections
import random
import time

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from core.protocol import codec
from core.server.handlers.api_versions import served
from tests.support.broker import BrokerProcess
from tests.support.frame_mutations import huge_claims, mutate, with_size_prefix
from tests.support.fuzz_harness import FuzzTarget, fuzz_examples, fuzz_seed
from tests.support.kafka_requests import minimal_request
from tests.support.kio_minimal import minimal_entity
from tests.support.kio_strategies import frame, request_bytes

TOPIC = "mutated"
VERSIONS = [(key, v) for key, lo, hi in served() for v in range(lo, hi + 1)]
SEED = fuzz_seed()
EXAMPLES = fuzz_examples(2500)
PROBE_EVERY = 10


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    broker = BrokerProcess(tmp_path_factory.mktemp("fuzz-mutations") / "broker").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic(TOPIC, 1, 1)])
    admin.close()
    yield FuzzTarget(broker)
    broker.stop()


def base_payload(key: int, version: int, array_len: int, correlation_id: int) -> bytes:
    """A valid request: the data APIs aimed at the real topic, others with `array_len`-long lists."""
    if array_len == 0:
        return request_bytes(minimal_request(key, version, TOPIC), correlation_id)
    cls = codec.request_class(key, version)
    entity = minimal_entity(cls, array_len=array_len, overrides={"acks": 1, "name": TOPIC})
    return request_bytes(entity, correlation_id)


def test_every_claim_of_every_version_made_huge_closes_only_that_connection(target):
    started = time.monotonic()
    count = 0
    for key, version in VERSIONS:
        cls = codec.request_class(key, version)
        for where, payload in huge_claims(base_payload(key, version, 1, 11), cls):
            outcome = target.exchange(frame(payload))
            count += 1
            assert outcome.kind == "closed", f"key {key} v{version} {where}: {outcome}"
            if count % PROBE_EVERY == 0:
                target.probe(f"after key {key} v{version} {where}")
    target.probe("at the end")
    elapsed = time.monotonic() - started
    print(f"{count} huge claims in {len(VERSIONS)} versions, {elapsed:.1f}s")


def test_random_mutations_never_hurt_the_broker(target):
    print(f"FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES}")
    rng = random.Random(SEED)
    outcomes: collections.Counter = collections.Counter()
    recent: collections.deque = collections.deque(maxlen=PROBE_EVERY)
    started = time.monotonic()
    for i in range(EXAMPLES):
        key, version = rng.choice(VERSIONS)
        cls = codec.request_class(key, version)
        payload = base_payload(key, version, rng.choice([0, 1, 1, 2]), i)
        what, mutated = mutate(payload, cls, rng)
        if rng.random() < 0.05:  # a size prefix that lies about the frame
            size = rng.choice([len(mutated) - 1, len(mutated) + 3, 0, 7, -1, 2**31 - 1])
            what += f", size prefix {size}"
            data = with_size_prefix(mutated, size)
        else:
            data = frame(mutated)
        recent.append(f"#{i} key {key} v{version}: {what}")
        outcomes[target.exchange(data, wait_s=0.2).kind] += 1
        if (i + 1) % PROBE_EVERY == 0:
            target.probe(f"(FUZZ_SEED={SEED}) after:\n" + "\n".join(recent))
    target.probe(f"at the end (FUZZ_SEED={SEED})")
    elapsed = time.monotonic() - started
    print(f"{EXAMPLES} mutated frames in {elapsed:.1f}s ({EXAMPLES / elapsed:.0f}/s): {outcomes}")
    log = target.broker.log_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
    failed = [line for line in log.splitlines() if "UNKNOWN_SERVER_ERROR" in line]
    assert not failed, f"FUZZ_SEED={SEED}\n" + "\n".join(failed[:20])
