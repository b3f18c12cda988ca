"""Broker-to-broker RPC on rpc_server (33145).

    frame.py       the 24-byte frame header (magic, version, flags, method, status,
                   correlation id, meta and blob lengths, crc32c), method ids, statuses
    protocol.py    FrameProtocol: BufferedProtocol reader (large blobs land in their own
                   buffer, handed over as memoryviews), corked writer, hold/release
    hello.py       NodeIdentity (node id, node UUID, cluster id) and IdentityBook
    server.py      RpcServer: method registration, statuses instead of tracebacks,
                   per-connection in-flight bound, handler timeout
    client.py      PeerClient (one multiplexed connection to one peer: bounded in-flight,
                   per-call timeouts, lazy reconnect with jittered exponential backoff) and
                   PeerClients, the connection cache keyed by node id
    heartbeat.py   HeartbeatBatcher / HeartbeatHandler: one message per peer per tick for
                   every group's (group id, opaque payload)
    raft_codec.py  core.raft.types messages <-> (meta, blob), tagged with a group id
    errors.py      RpcError and its retriable subclasses

Each node dials each of its peers once (Redpanda's connection_cache): requests from A to B
and their responses share A's connection to B; B's requests to A travel on B's connection.
Nothing here starts by itself: the composition root builds an RpcServer, registers the
cluster's handlers and starts it on rpc_server.
"""
