"""TxnTopic: the part of TransactionCoordinator (core.transactions.coordinator) that creates
`__transaction_state` on first use and waits for its partitions.

The first transactional id looked up or initialised starts the creation (once; again when it
failed): `transaction_coordinator_partitions` partitions, compacted, replication factor
min(internal_topic_replication_factor, members), odd, within create_topic_timeout_ms (read
then) x partitions, as Redpanda. Once created, up to _TOPIC_OPERATION_S is given for its
partitions to appear here; then the coordinator follows their leadership. Until the topic
exists, requests are answered COORDINATOR_NOT_AVAILABLE and the next one starts it again.
`TxnTopic` is a base of TransactionCoordinator, which sets the attributes declared below.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from core.cluster.errors import ClusterErrc, ClusterError
from core.cluster.partition_manager import PartitionManager
from core.cluster.topics import TopicsFrontend, create_topic_timeout_s
from core.config.cluster_properties import ClusterConfigStore

log = logging.getLogger("ailurus.txn")

TXN_TOPIC = "__transaction_state"
_TOPIC_OPERATION_S = 20.0  # Redpanda's wait for a created __transaction_state's partitions
POLL_S = 0.01


class TxnTopic:
    _partitions: PartitionManager
    _topics: TopicsFrontend
    _config: ClusterConfigStore
    _member_count: Callable[[], int]
    partition_count: int  # the topic's partitions (the property's until it exists)
    _creating: asyncio.Task | None  # the task creating the topic, once started
    _follow_leadership: Callable[[], None]  # the coordinator's: load the partitions led here

    def ensure_topic(self) -> None:
        """Create `__transaction_state` on first use (once; again if creating failed)."""
        if self._topics.table.get(TXN_TOPIC) is not None:
            return
        if self._creating is None or self._creating.done():
            self._creating = asyncio.get_running_loop().create_task(
                self._create(), name="txn-create-topic"
            )

    async def _create(self) -> None:
        """Within create_topic_timeout_ms (read now) x partitions, as Redpanda; else the next
        FindCoordinator (COORDINATOR_NOT_AVAILABLE until then) starts it again."""
        timeout_s = create_topic_timeout_s(self._config.get, self.partition_count)
        compact: dict[str, str | None] = {"cleanup.policy": "compact"}
        rf = self._replication_factor()
        creation = self._topics.create_topic(TXN_TOPIC, self.partition_count, rf, compact)
        try:
            await asyncio.wait_for(creation, timeout_s)
            log.info("created %s with %d partitions", TXN_TOPIC, self.partition_count)
        except TimeoutError:
            log.warning("%s not created within %d ms", TXN_TOPIC, round(timeout_s * 1000))
            return
        except ClusterError as exc:
            if exc.errc is not ClusterErrc.topic_already_exists:
                log.warning("creating %s failed: %s", TXN_TOPIC, exc)
                return
        meta = self._topics.table.get(TXN_TOPIC)
        if meta is None:
            return
        self.partition_count = meta.partitions
        for _ in range(int(_TOPIC_OPERATION_S / POLL_S)):
            if all(
                self._partitions.describe(TXN_TOPIC, p) is not None for p in range(meta.partitions)
            ):
                break
            await asyncio.sleep(POLL_S)
        self._follow_leadership()

    def _replication_factor(self) -> int:
        wanted = int(self._config.get("internal_topic_replication_factor"))
        rf = min(wanted, max(self._member_count(), 1))
        return rf if rf % 2 == 1 else rf - 1
