"""Broker-to-broker RPC on rpc_server (33145).

    frame.py       the 24-byte frame header (magic, version, flags, method, status,
                   correlation id, meta and blob lengths, crc32c), method ids, statuses
    protocol.py    FrameProtocol: BufferedProtocol reader (large blobs land in their own
                   buffer, handed over as memoryviews), corked writer, hold/release
    connection.py  Connection: requests both ways on one TCP connection, handler dispatch
                   with a per-connection in-flight bound, retirement after a tie-break
    hello.py       NodeIdentity (node id, node UUID, cluster id) and IdentityBook
    server.py      RpcServer: the node's endpoint: handlers, listener, `peers`
    client.py      PeerClient (one multiplexed connection to one peer: bounded in-flight,
                   per-call timeouts, lazy reconnect with jittered exponential backoff) and
                   PeerClients, the connection cache keyed by node id
    heartbeat.py   HeartbeatBatcher / HeartbeatHandler: one message per peer per tick for
                   every group's (group id, opaque payload)
    raft_codec.py  core.raft.types messages <-> (meta, blob), tagged with a group id
    raft_batch.py  Method.raft_batch: every group's messages and light heartbeats for one
                   peer in one frame (sent by core.cluster.raft_groups)
    errors.py      RpcError and its retriable subclasses

One TCP connection per node pair: whichever node needs the other first dials, and the other
adopts the accepted connection (after its hello) for its own requests; if both dial at once,
both keep the lower node id's connection and retire the other. Nothing here starts by itself: the composition root builds an RpcServer, registers the
cluster's handlers and starts it on rpc_server.
"""
