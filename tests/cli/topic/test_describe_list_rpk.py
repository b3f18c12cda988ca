"""`rpk topic describe` with several topics and json/yaml, and `topic list -d --format json`,
shaped as rpk's."""

from __future__ import annotations

import json
import uuid

import pytest
import yaml

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def two_topics(rpk, kafka_env):
    names = [f"dl-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        assert rpk(["topic", "create", name, "-p", "2"], env=kafka_env).exit_code == 0
    return sorted(names)


def test_describe_several_topics_prints_every_section_for_each(rpk, kafka_env, two_topics):
    res = rpk(["topic", "describe", *two_topics], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    headers = [
        line for line in res.stdout.splitlines() if line in ("SUMMARY", "CONFIGS", "PARTITIONS")
    ]
    assert headers == ["SUMMARY", "CONFIGS", "PARTITIONS"] * 2
    # rpk's Sections: a blank line after each section but a topic's last, so the second
    # topic's SUMMARY follows the first's partitions at once, and nothing trails the output
    lines = res.stdout.splitlines()
    second = [i for i, line in enumerate(lines) if line == "SUMMARY"][1]
    assert lines[second - 1] != "" and lines[-1] != ""
    assert lines[lines.index("CONFIGS") - 1] == ""
    for name in two_topics:
        assert f"NAME        {name}" in res.stdout


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_describe_structured_always_has_partitions(rpk, kafka_env, two_topics, fmt):
    res = rpk(["topic", "describe", two_topics[0], "-s", "--format", fmt], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout) if fmt == "json" else yaml.safe_load(res.stdout)
    assert list(doc[0]) == ["summary", "configs", "partitions"]
    assert [p["partition"] for p in doc[0]["partitions"]] == [0, 1]
    assert doc[0]["configs"]


def test_list_detailed_json_uses_rpks_schema(rpk, kafka_env, two_topics):
    res = rpk(["topic", "list", "-d", "--format", "json", *two_topics], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert [t["name"] for t in doc] == two_topics
    topic = doc[0]
    assert topic["partitions"] == 2 and topic["replicas"] == 1
    first = topic["partition_list"][0]
    assert set(first) <= {
        "partition",
        "leader",
        "epoch",
        "replicas",
        "offline_replicas",
        "load_error",
    }
    assert first["partition"] == 0 and first["replicas"] == [first["leader"]]
    assert first["offline_replicas"] is None and first["load_error"] == ""


def test_list_detailed_text_nests_each_table_under_its_topic(rpk, kafka_env, two_topics):
    res = rpk(["topic", "list", "-d", *two_topics], env=kafka_env)
    assert res.exit_code == 0, res.stderr
    blocks = res.stdout.rstrip("\n").split("\n\n")
    assert len(blocks) == 2
    for name, block in zip(two_topics, blocks, strict=True):
        head, columns, *rows = block.splitlines()
        assert head == f"{name}, 2 partitions, 1 replicas"
        # rpk's leading empty column: tabwriter pads it to its minimum width, 6
        assert columns.split() == ["PARTITION", "LEADER", "EPOCH", "REPLICAS"]
        assert columns.startswith("      PARTITION  LEADER")
        assert [r[:6] for r in rows] == ["      "] * 2
        assert [r.split()[0] for r in rows] == ["0", "1"]
