"""The members table: which nodes form the cluster, applied from the controller log.

Commands (in controller log order, identical on every node):

* `bootstrap_cluster {cluster_uuid, founders}`: the first one wins; it names the cluster
  (every node's cluster id comes from it) and the founding node ids.
* `register_node {node_id, uuid, kafka_host, kafka_port, rpc_host, rpc_port, rack,
  kafka_listeners}`: adds or updates a member. `kafka_host`/`kafka_port` are the first Kafka
  listener's advertised address, `kafka_listeners` every listener's `{name, host, port}`
  (absent in payloads written before listeners had names: the member's listeners are then
  unknown and Metadata gives its first address on every listener). A node id held by another UUID is refused (a wiped node cannot pass as
  its old self); a `node_id` of None asks for one: the UUID's id if it has one, else one past
  the largest id ever assigned (decided at apply, so two joiners never get the same id).

Listeners hear `(event, member)` after each change: "added" or "updated".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from core.cluster.metadata import BrokerInfo, KafkaEndpoint

log = logging.getLogger("ailurus.members")

MAX_MEMBERS = 1024


@dataclass(frozen=True, slots=True)
class Member:
    node_id: int
    uuid: str
    kafka_host: str
    kafka_port: int
    rpc_host: str
    rpc_port: int
    rack: str | None = None
    kafka_listeners: tuple[KafkaEndpoint, ...] = ()  # () when registered without them

    def broker_info(self) -> BrokerInfo:
        return BrokerInfo(
            self.node_id,
            self.kafka_host,
            self.kafka_port,
            self.rack,
            self.rpc_host,
            self.rpc_port,
            self.kafka_listeners,
        )

    def as_payload(self) -> dict:
        """The `register_node` payload registering this member."""
        return asdict(self)

    @classmethod
    def from_payload(cls, payload: dict, node_id: int) -> Member:
        return cls(
            node_id=node_id,
            uuid=str(payload["uuid"]),
            kafka_host=str(payload["kafka_host"]),
            kafka_port=int(payload["kafka_port"]),
            rpc_host=str(payload["rpc_host"]),
            rpc_port=int(payload["rpc_port"]),
            rack=payload.get("rack"),
            kafka_listeners=tuple(
                KafkaEndpoint(str(e["name"]), str(e["host"]), int(e["port"]))
                for e in payload.get("kafka_listeners") or ()
            ),
        )


MemberListener = Callable[[str, Member], None]


class Members:
    def __init__(self) -> None:
        self._members: dict[int, Member] = {}
        self.cluster_uuid: str | None = None
        self.founders: tuple[int, ...] = ()
        self._max_id = -1  # the largest node id ever assigned (ids are never reused)
        self._removed: set[int] = set()  # decommissioned ids (core.cluster.decommission)
        self._listeners: list[MemberListener] = []
        self._bootstrap_listeners: list[Callable[[str], None]] = []

    # ---- reads ---------------------------------------------------------------------------------
    def get(self, node_id: int) -> Member | None:
        return self._members.get(node_id)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._members

    def __len__(self) -> int:
        return len(self._members)

    def node_ids(self) -> list[int]:
        return sorted(self._members)

    def all(self) -> list[Member]:
        return [self._members[i] for i in sorted(self._members)]

    def by_uuid(self, node_uuid: str) -> Member | None:
        for member in self._members.values():
            if member.uuid == node_uuid:
                return member
        return None

    def brokers(self) -> list[BrokerInfo]:
        return [m.broker_info() for m in self.all()]

    def subscribe(self, fn: MemberListener) -> Callable[[], None]:
        """Call `fn(event, member)` after each change; returns the unsubscribe call."""
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def on_bootstrap(self, fn: Callable[[str], None]) -> None:
        """`fn(cluster_uuid)` once the cluster is named (at once if it already is)."""
        self._bootstrap_listeners.append(fn)
        if self.cluster_uuid is not None:
            fn(self.cluster_uuid)

    # ---- controller command appliers (called in log order) -------------------------------------
    def apply_bootstrap(self, payload: dict, offset: int) -> None:
        if self.cluster_uuid is not None:
            return  # a second founder's attempt: the first one named the cluster
        self.cluster_uuid = str(payload["cluster_uuid"])
        self.founders = tuple(sorted(int(n) for n in payload.get("founders") or ()))
        log.info("cluster %s founded by %s (offset %d)", self.cluster_uuid, self.founders, offset)
        for fn in self._bootstrap_listeners:
            fn(self.cluster_uuid)

    def apply_register(self, payload: dict, offset: int) -> None:
        node_id = self._node_id_for(payload)
        if node_id is None:
            return
        member = Member.from_payload(payload, node_id)
        old = self._members.get(node_id)
        if old == member:
            return
        if old is None and len(self._members) >= MAX_MEMBERS:
            log.warning("register_node at %d: more than %d members", offset, MAX_MEMBERS)
            return
        self._members[node_id] = member
        self._max_id = max(self._max_id, node_id)
        event = "added" if old is None else "updated"
        log.info("member %s at offset %d: %s", event, offset, member)
        for fn in self._listeners:
            fn(event, member)

    def _node_id_for(self, payload: dict) -> int | None:
        """The id this registration applies to, or None if it is refused."""
        wanted = payload.get("node_id")
        node_uuid = str(payload["uuid"])
        if wanted is None:
            known = self.by_uuid(node_uuid)
            return known.node_id if known is not None else self._max_id + 1
        if int(wanted) in self._removed:
            log.warning("register_node: node %s was decommissioned", wanted)
            return None
        holder = self._members.get(int(wanted))
        if holder is not None and holder.uuid != node_uuid:
            log.warning("register_node: node %s is %s, not %s", wanted, holder.uuid, node_uuid)
            return None
        return int(wanted)

    def remove(self, node_id: int) -> None:
        """A decommissioned node leaves for good (core.cluster.decommission applies
        `remove_node` and restores it): a registration under its id is refused."""
        self._removed.add(node_id)
        member = self._members.pop(node_id, None)
        if member is not None:
            log.info("member %d removed", node_id)
            for fn in self._listeners:
                fn("removed", member)

    # ---- controller snapshot hooks (core.cluster.controller_snapshot) --------------------------
    def snapshot(self) -> dict:
        """The table as fresh JSON-ready data (each member as its register_node payload)."""
        return {
            "cluster_uuid": self.cluster_uuid,
            "founders": list(self.founders),
            "max_id": self._max_id,
            "members": [member.as_payload() for member in self.all()],
        }

    def restore(self, state: dict) -> None:
        """The table `snapshot` returned replaces this one; listeners hear what applying the
        commands would have told them ("added"/"updated", then the cluster's naming)."""
        old, self._members = self._members, {}
        for payload in state["members"]:
            member = Member.from_payload(payload, int(payload["node_id"]))
            self._members[member.node_id] = member
        self._max_id = int(state["max_id"])
        self.founders = tuple(int(n) for n in state["founders"])
        for member in self.all():
            before = old.get(member.node_id)
            if before != member:
                for fn in self._listeners:
                    fn("added" if before is None else "updated", member)
        named = self.cluster_uuid is None and state["cluster_uuid"] is not None
        self.cluster_uuid = state["cluster_uuid"]
        if named:
            for named_fn in self._bootstrap_listeners:
                named_fn(state["cluster_uuid"])
