"""rpk's Short texts (no trailing period) in `rpk group --help` and `rpk cluster partitions
--help` for the commands that have them, and rpk's Long text for group describe."""

from __future__ import annotations


def _commands(text: str) -> dict[str, str]:
    block = text.split("Available Commands:\n", 1)[1].split("\n\n", 1)[0]
    return {line.split()[0]: line.split(None, 1)[1] for line in block.splitlines()}


def test_group_shorts_as_rpk(rpk):
    res = rpk(["group", "--help"])
    assert res.exit_code == 0, res.stderr
    assert _commands(res.stdout) == {
        "delete": "Delete groups from brokers",
        "describe": "Describe group offset status & lag",
        "list": "List all groups",
        "offset-delete": "Delete offsets for a kafka group",
        "seek": "Modify a group's current offsets",
    }


def test_partitions_shorts_and_describe_long(rpk):
    shorts = _commands(rpk(["cluster", "partitions", "--help"]).stdout)
    assert shorts["list"] == "List partitions in the cluster"
    assert shorts["move-status"] == "Show ongoing partition movements"
    long = rpk(["group", "describe", "--help"]).stdout
    assert long.startswith(
        "Describe group offset status & lag.\n\nThis command describes group members, "
        "calculates their lag, and prints detailed\ninformation about the members.\n"
    )


def test_partitions_list_long_as_rpk(rpk):
    res = rpk(["cluster", "partitions", "list", "--help"])
    assert res.stdout.startswith(
        "List partitions in the cluster\n\nThis commands lists the cluster-level metadata of "
        "all partitions in the cluster.\n"
    )
    assert "  rpk cluster partition list -a --format json\n\nUsage:\n" in res.stdout
