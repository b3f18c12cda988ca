"""Hypothesis-generated requests for every advertised API key and version (issue 19).

Requests are drawn from the kio schemas (tests/support/kio_strategies.py: edge integers,
empty and long arrays and strings, nulls, unknown ids), sometimes carrying unknown tagged
fields, and sent raw to one broker. Every reply must parse as that version's response
with the request's correlation id; every few examples another connection proves the
broker alive (ApiVersions and Metadata answered).

Replay: the seed is printed (FUZZ_SEED=...); rerun with it. Longer run: FUZZ_EXAMPLES=5000.
"""

from __future__ import annotations

import collections
import time

import pytest
from hypothesis import HealthCheck, assume, given, note, seed, settings
from hypothesis import strategies as st
from kafka.admin import KafkaAdminClient, NewTopic
from kio.index import load_request_schema

from core.server.handlers.api_versions import served
from tests.support.broker import BrokerProcess
from tests.support.frame_mutations import add_tagged_field, tag_sections
from tests.support.fuzz_harness import (
    FuzzTarget,
    decode_reply,
    fuzz_examples,
    fuzz_seconds,
    fuzz_seed,
)
from tests.support.kio_strategies import entity_strategy, frame, request_bytes

VERSIONS = [(key, v) for key, lo, hi in served() for v in range(lo, hi + 1)]
SEED = fuzz_seed()
EXAMPLES = fuzz_examples(800)
BUDGET_S = fuzz_seconds(30.0)
PROBE_EVERY = 10
REPLY_WAIT_S = 0.3
MAX_FRAME_BYTES = 4 * 1024 * 1024  # long arrays of long strings can multiply past this


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    broker = BrokerProcess(tmp_path_factory.mktemp("fuzz-generated") / "broker").start()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    admin.create_topics([NewTopic("t", 2, 1), NewTopic("abc", 1, 1)])
    admin.close()
    yield FuzzTarget(broker)
    broker.stop()


def requests_of(key_version: tuple[int, int]) -> st.SearchStrategy:
    return entity_strategy(load_request_schema(*key_version))


def test_generated_requests_never_hurt_the_broker(target):
    print(f"FUZZ_SEED={SEED} FUZZ_EXAMPLES={EXAMPLES}")
    outcomes: collections.Counter = collections.Counter()
    started = time.monotonic()

    @seed(SEED)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        request=st.sampled_from(VERSIONS).flatmap(requests_of),
        client_id=st.one_of(st.none(), st.just(""), st.text(max_size=30)),
        correlation_id=st.integers(-(2**31), 2**31 - 1),
        data=st.data(),
    )
    def run(request, client_id, correlation_id, data):
        note(f"replay with FUZZ_SEED={SEED}")
        cls = type(request)
        key, version = cls.__api_key__, cls.__version__
        payload = request_bytes(request, correlation_id, client_id)
        assume(len(payload) <= MAX_FRAME_BYTES)
        sections = tag_sections(payload, cls)
        if sections and data.draw(st.booleans(), label="unknown tag"):
            pos = data.draw(st.sampled_from(sections), label="section")
            tag = data.draw(st.integers(10_000, 2**31), label="tag")
            payload = add_tagged_field(payload, pos, tag, data.draw(st.binary(max_size=40)))
        if time.monotonic() - started > BUDGET_S:  # after every draw: Hypothesis replays
            outcomes["skipped past the time budget"] += 1  # must draw the same data
            return
        outcome = target.exchange(frame(payload), REPLY_WAIT_S)
        outcomes[outcome.kind] += 1
        if outcome.kind == "reply":
            decode_reply(outcome.payload, key, version, correlation_id)
        if target.sent % PROBE_EVERY == 0:
            target.probe(f"after {cls.__name__} v{version} (FUZZ_SEED={SEED})")

    run()
    target.probe(f"at the end (FUZZ_SEED={SEED})")
    elapsed = time.monotonic() - started
    print(f"{target.sent} requests in {elapsed:.1f}s ({target.sent / elapsed:.0f}/s): {outcomes}")
    log = target.broker.log_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 500 :][:3000]
    failed = [line for line in log.splitlines() if "UNKNOWN_SERVER_ERROR" in line]
    assert not failed, "\n".join(failed[:20])
