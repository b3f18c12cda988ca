"""`topic produce -p` to a missing partition fails with franz-go's words; `topic consume --help`
lists --pretty-print among its flags."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.timeout(60)


def test_produce_to_a_missing_partition(rpk, kafka_env):
    topic = f"pp-{uuid.uuid4().hex[:8]}"
    assert rpk(["topic", "create", topic, "-p", "1"], env=kafka_env).exit_code == 0
    res = rpk(["topic", "produce", topic, "-p", "99"], env=kafka_env, input="x\n")
    assert res.exit_code == 1
    assert res.stderr == (
        "unable to produce record: invalid record partitioning choice of 99 from 1 available\n"
    )


def test_consume_help_documents_pretty_print(rpk):
    res = rpk(["topic", "consume", "--help"])
    assert res.exit_code == 0
    flags = res.stdout.split("\nFlags:\n", 1)[1].split("\n\n", 1)[0]
    lines = flags.splitlines()
    at = next(i for i, line in enumerate(lines) if "--pretty-print" in line)
    assert lines[at].startswith("      --pretty-print ")
    # pflag wraps the usage at 80 columns: the row goes on until the next flag's line
    rest = lines[at + 1 :]
    end = next((i for i, line in enumerate(rest) if not line.startswith(" " * 8)), len(rest))
    row = " ".join(part.strip() for part in [lines[at], *rest[:end]])
    assert "(default true)" in row
