"""Audit logging, as Redpanda's `audit_enabled`: OCSF JSON events in `_redpanda.audit_log`.

ocsf.py builds the events (application lifecycle, authentication, API activity), queue.py holds
them (bounded in bytes, identical events counted once), writer.py creates the topic and appends
to it, log.py decides what is audited and drains the queue off the request path, wiring.py
attaches it to a broker (core.app).
"""
