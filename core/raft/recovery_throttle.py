"""Redpanda's raft_learner_recovery_rate: the bytes per second that learners catching up (nodes
joining a group by a configuration change, core.raft.config) may take from this node's
leaders, shared by every group of the node (one bucket per RaftGroups).

A token bucket holding at most one second of the rate. The leader asks it before it sends
entries to a learner: with tokens left the request goes (and may take the bucket below zero:
a request is never split, so the rate holds on average); without, the learner gets nothing
but heartbeats until the bucket refills (the leader's next heartbeat round tries again).
Voters are never throttled. The rate is read live (`rate_bytes_s`); 0 or less: unlimited."""

from __future__ import annotations

DEFAULT_RATE_BYTES_S = 100 * 1024 * 1024  # Redpanda's default (104857600)


class RecoveryThrottle:
    def __init__(self, rate_bytes_s: int = DEFAULT_RATE_BYTES_S) -> None:
        self.rate_bytes_s = rate_bytes_s
        self._tokens = float(max(rate_bytes_s, 0))
        self._at_ms: int | None = None
        self.throttled = 0  # requests held back (metrics, tests)
        self.sent_bytes = 0

    def take(self, now_ms: int, size_bytes: int) -> bool:
        """May `size_bytes` of entries go to a learner at `now_ms`? (If so, they are counted.)"""
        rate = self.rate_bytes_s
        if rate <= 0:
            self.sent_bytes += size_bytes
            return True
        if self._at_ms is not None and now_ms > self._at_ms:
            self._tokens = min(float(rate), self._tokens + rate * (now_ms - self._at_ms) / 1000)
        self._at_ms = now_ms if self._at_ms is None else max(self._at_ms, now_ms)
        self._tokens = min(self._tokens, float(rate))  # the rate may have been lowered
        if self._tokens <= 0:
            self.throttled += 1
            return False
        self._tokens -= size_bytes
        self.sent_bytes += size_bytes
        return True
