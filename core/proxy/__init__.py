"""The Kafka REST v2 HTTP proxy ("pandaproxy", port 8082), served on the broker's event loop.

Embedded formats: binary and json need nothing else; avro, jsonschema and protobuf use the
Schema Registry (core.proxy.registry): in process when this broker serves the registry too
(its listener publishes core.schema_registry.client_api in core.common.local_services, so
neither package imports the other), otherwise over HTTP (httpx) to
`pandaproxy_client.schema_registry_url` (or `schema_registry_client.url`). Records are
validated (fastavro, jsonschema_rs, protobuf's descriptor pool) and written in Confluent's
wire format (core.proxy.codecs); consumer instances of those formats decode it to JSON.

Produce to partitions this broker leads goes straight to the partition facade, one v2 batch
per partition per request (core.proxy.local_produce); other partitions, metadata and every
read go through aiokafka clients to the Kafka listener (core.proxy.kafka).
"""
