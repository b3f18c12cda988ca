"""Clients rpk commands use to reach a cluster: Kafka (kafka-python) and the Admin API (httpx)."""
