"""The Kafka REST v2 HTTP proxy ("pandaproxy", port 8082), served on the broker's event loop."""
