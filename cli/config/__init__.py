"""rpk configuration: rpk.yaml profiles, redpanda.yaml, -X keys and RPK_* env vars."""
