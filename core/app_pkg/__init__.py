"""Composition root: builds storage, raft, cluster, server and the HTTP front ends on one loop."""
