"""One classic consumer group: its state, members and committed offsets.

States and the transitions Kafka allows between them:

    Empty ──join──▶ PreparingRebalance ──all joined / timeout──▶ CompletingRebalance
      ▲                 │      ▲                                     │
      └──no members─────┘      └──────── member change ◀── Stable ◀──┘ leader's sync
    any state ──delete / unload──▶ Dead
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass

from core.groups.member import Member
from core.groups.results import MemberSummary


class GroupState(enum.Enum):
    EMPTY = "Empty"
    PREPARING_REBALANCE = "PreparingRebalance"
    COMPLETING_REBALANCE = "CompletingRebalance"
    STABLE = "Stable"
    DEAD = "Dead"


_S = GroupState
_VALID_FROM: dict[GroupState, frozenset[GroupState]] = {
    _S.PREPARING_REBALANCE: frozenset({_S.STABLE, _S.COMPLETING_REBALANCE, _S.EMPTY}),
    _S.COMPLETING_REBALANCE: frozenset({_S.PREPARING_REBALANCE}),
    _S.STABLE: frozenset({_S.COMPLETING_REBALANCE}),
    _S.EMPTY: frozenset({_S.PREPARING_REBALANCE}),
    _S.DEAD: frozenset(set(_S)),
}


@dataclass(slots=True)
class OffsetEntry:
    offset: int
    leader_epoch: int
    metadata: str | None
    commit_timestamp_ms: int
    expire_timestamp_ms: int | None = None


class Group:
    def __init__(self, group_id: str, partition: int, now_ms: int) -> None:
        self.group_id = group_id
        self.partition = partition  # of __consumer_offsets
        self.state = GroupState.EMPTY
        self.state_timestamp_ms = now_ms  # wall clock, when the state last changed
        self.generation = 0
        self.protocol_type: str | None = None
        self.protocol_name: str | None = None
        self.leader_id: str | None = None
        self.members: dict[str, Member] = {}  # insertion order picks the next leader
        self.static_members: dict[str, str] = {}  # group.instance.id -> member id
        self.pending_members: set[str] = set()  # given an id by MEMBER_ID_REQUIRED
        self.pending_sync: set[str] = set()  # members of this generation yet to sync
        self.offsets: dict[tuple[str, int], OffsetEntry] = {}
        self.pending_commits: Counter[tuple[str, int]] = (
            Counter()
        )  # commits being written, per partition
        # offsets committed in open transactions (TxnOffsetCommit): producer id -> offsets,
        # made visible by the transaction's commit marker, dropped by its abort
        self.txn_pending: dict[int, dict[tuple[str, int], OffsetEntry]] = {}
        self.subscribed: set[str] | None = None  # topics of this generation; None when unknown
        self.new_member_added = False  # extends the initial rebalance delay
        self.initial_delay_remaining_ms: int | None = None  # set while an initial delay runs

    def __repr__(self) -> str:
        return f"Group({self.group_id!r}, {self.state.value}, gen={self.generation}, members={list(self.members)})"

    # ------------------------------------------------------------ state

    def is_(self, *states: GroupState) -> bool:
        return self.state in states

    def transition(self, target: GroupState, now_ms: int) -> None:
        assert self.state in _VALID_FROM[target], (
            f"{self.group_id}: {self.state.value} -> {target.value}"
        )
        self.state = target
        self.state_timestamp_ms = now_ms

    def can_rebalance(self) -> bool:
        return self.state in (_S.STABLE, _S.COMPLETING_REBALANCE, _S.EMPTY)

    # ------------------------------------------------------------ members

    def has(self, member_id: str) -> bool:
        return member_id in self.members

    def size(self) -> int:
        return len(self.members) + len(self.pending_members)

    def add(self, member: Member) -> None:
        assert member.member_id not in self.members, member.member_id
        if not self.members:
            self.protocol_type = member.protocol_type
        assert member.protocol_type == self.protocol_type, "protocol type checked before add"
        self.members[member.member_id] = member
        if member.group_instance_id is not None:
            self.static_members[member.group_instance_id] = member.member_id
        if self.leader_id is None:
            self.leader_id = member.member_id

    def remove(self, member_id: str) -> Member:
        member = self.members.pop(member_id)
        instance = member.group_instance_id
        if instance is not None and self.static_members.get(instance) == member_id:
            del self.static_members[instance]
        self.pending_sync.discard(member_id)
        if self.leader_id == member_id:
            self.leader_id = next(iter(self.members), None)
        return member

    def replace_static(self, instance_id: str, new_member_id: str) -> Member:
        """Give the static member `instance_id` a new member id (a restarted process)."""
        old_id = self.static_members[instance_id]
        member = self.members.pop(old_id)
        member.member_id = new_member_id
        self.members[new_member_id] = member
        self.static_members[instance_id] = new_member_id
        if self.leader_id == old_id:
            self.leader_id = new_member_id
        if old_id in self.pending_sync:
            self.pending_sync.discard(old_id)
            self.pending_sync.add(new_member_id)
        return member

    def static_member_fenced(self, instance_id: str | None, member_id: str) -> bool:
        if instance_id is None:
            return False
        registered = self.static_members.get(instance_id)
        return registered is not None and registered != member_id

    def all_joined(self) -> bool:
        return not self.pending_members and all(m.awaiting_join for m in self.members.values())

    def rebalance_timeout_ms(self) -> int:
        return max((m.rebalance_timeout_ms for m in self.members.values()), default=0)

    # ------------------------------------------------------------ protocols

    def candidate_protocols(self, excluding: str | None = None) -> set[str] | None:
        """Protocols every member (but `excluding`) supports; None when no member counts."""
        names: set[str] | None = None
        for member in self.members.values():
            if member.member_id == excluding:
                continue
            supported = set(member.protocol_names())
            names = supported if names is None else names & supported
        return names

    def supports(
        self, protocol_type: str, protocols: list[tuple[str, bytes]], member_id: str | None
    ) -> bool:
        if not protocol_type or not protocols:
            return False
        candidates = self.candidate_protocols(excluding=member_id)
        if candidates is None:
            return True
        if protocol_type != self.protocol_type:
            return False
        return any(name in candidates for name, _ in protocols)

    def select_protocol(self) -> str:
        """The protocol most members prefer among those all of them support."""
        candidates = self.candidate_protocols()
        assert candidates, f"{self.group_id}: members share no protocol"
        votes = Counter(m.vote(candidates) for m in self.members.values())
        first = next(iter(self.members.values()))
        order = {name: i for i, name in enumerate(first.protocol_names())}
        return min(votes, key=lambda name: (-votes[name], order.get(name, len(order))))

    def subscribed_topics(self) -> set[str] | None:
        """Topics the current generation of a consumer-protocol group subscribes to;
        None when unknown (no generation yet, or metadata that does not parse)."""
        return self.subscribed

    def compute_subscribed_topics(self) -> set[str] | None:
        """Kafka computes this when a generation starts (and on load) and keeps it
        through the next rebalance, whatever members rejoin with meanwhile."""
        from core.groups.consumer_protocol import subscription_topics

        if self.protocol_type != "consumer" or self.protocol_name is None or not self.members:
            return None
        topics: set[str] = set()
        for member in self.members.values():
            if self.protocol_name not in member.protocol_names():
                return None
            parsed = subscription_topics(member.metadata_for(self.protocol_name))
            if parsed is None:
                return None
            topics |= parsed
        return topics

    # ------------------------------------------------------------ views

    def member_summaries(self) -> tuple[MemberSummary, ...]:
        stable = self.state is _S.STABLE and self.protocol_name is not None
        return tuple(
            MemberSummary(
                member_id=m.member_id,
                group_instance_id=m.group_instance_id,
                client_id=m.client_id,
                client_host=m.client_host,
                metadata=m.metadata_for(self.protocol_name) if stable else b"",  # type: ignore[arg-type]
                assignment=m.assignment if stable else b"",
            )
            for m in self.members.values()
        )

    def check_invariants(self) -> None:
        assert (self.leader_id is None) == (not self.members), self
        assert self.leader_id is None or self.leader_id in self.members, self
        assert self.pending_sync <= set(self.members), self
        assert not (self.pending_members & set(self.members)), self
        assert all(n > 0 for n in self.pending_commits.values()), self
        for instance, member_id in self.static_members.items():
            assert self.members[member_id].group_instance_id == instance, self
        if self.state is _S.EMPTY:
            assert not self.members, self
        if self.state in (_S.STABLE, _S.COMPLETING_REBALANCE):
            assert self.members and self.protocol_name is not None, self
            assert not any(m.awaiting_join for m in self.members.values()), self
        assert not any(m.awaiting_join and m.awaiting_sync for m in self.members.values()), self
        if self.state is not _S.COMPLETING_REBALANCE:
            assert not any(m.awaiting_sync for m in self.members.values()), self
