"""rpk cluster quotas alter | describe | import against a real broker: rpk's tables, texts,
json/yaml documents, flag checks and the import diff and confirmation."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def quotas(rpk, kafka_env):
    """rpk cluster quotas ..., with this test's quotas removed afterwards."""
    made: list[list[str]] = []

    def run(*args: str, input: str | None = None):
        if args and args[0] == "alter":
            made.append(list(args))
        return rpk(["cluster", "quotas", *args], env=kafka_env, input=input)

    yield run
    current = json.loads(
        rpk(["cluster", "quotas", "describe", "--format", "json"], env=kafka_env).stdout or "{}"
    )
    for q in current.get("quotas", []):
        entity = q["entity"][0]
        flag = (
            ["--default", entity["type"]]
            if entity["name"] == "<default>"
            else ["--name", f"{entity['type']}={entity['name']}"]
        )
        for v in q["values"]:
            rpk(["cluster", "quotas", "alter", *flag, "--delete", v["key"]], env=kafka_env)


def test_alter_then_describe_as_rpk_prints_them(quotas):
    added = quotas("alter", "--add", "consumer_byte_rate=200000", "--name", "client-id=cli-foo")
    assert added.exit_code == 0, added.stderr
    assert [line.split() for line in added.stdout.splitlines()] == [
        ["ENTITY", "STATUS"],
        ["client-id=cli-foo", "OK"],
    ]
    assert (
        quotas("alter", "--add", "producer_byte_rate=180000", "--default", "client-id").exit_code
        == 0
    )
    assert (
        quotas(
            "alter",
            "--add",
            "producer_byte_rate=1000",
            "--add",
            "consumer_byte_rate=2000",
            "--name",
            "client-id-prefix=cli-bar-",
        ).exit_code
        == 0
    )
    text = quotas("describe").stdout
    assert text == (
        "client-id-prefix=cli-bar-\n\tproducer_byte_rate=1000\n\tconsumer_byte_rate=2000\n\n"
        "client-id=<default>\n\tproducer_byte_rate=180000\n\n"
        "client-id=cli-foo\n\tconsumer_byte_rate=200000\n"
    )
    only = quotas("describe", "--name", "client-id=cli-foo", "--format", "json")
    assert only.stdout == (
        '{"quotas":[{"entity":[{"name":"cli-foo","type":"client-id"}],'
        '"values":[{"key":"consumer_byte_rate","value":"200000"}]}]}\n'
    )
    default = quotas("describe", "--default", "client-id", "--format", "yaml")
    assert default.stdout == (
        "quotas:\n"
        "    - entity:\n"
        "        - name: <default>\n"
        "          type: client-id\n"
        "      values:\n"
        "        - key: producer_byte_rate\n"
        '          value: "180000"\n'
        "\n"
    )
    assert (
        quotas("describe", "--name", "client-id=nobody").stdout == "no quotas matched to describe\n"
    )
    assert quotas("describe", "--name", "client-id=nobody", "--format", "json").stdout == "{}\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["alter", "--add", "a=1"],
            "Error: at least one of the flags in the group [name default] is required",
        ),
        (
            ["alter", "--name", "client-id=x"],
            "Error: at least one of the flags in the group [add delete] is required",
        ),
        (
            ["alter", "--name", "group=x", "--add", "a=1"],
            'name type "group" is invalid (allowed: client-id, client-id-prefix)',
        ),
        (
            ["alter", "--default", "client-id-prefix", "--add", "a=1"],
            'default type "client-id-prefix" is invalid (allowed: client-id)',
        ),
        (
            ["alter", "--name", "client-id=x", "--default", "client-id", "--add", "a=1"],
            'default type "client-id" was previously defined in --name, you can only set it once',
        ),
        (
            ["alter", "--name", "client-id=x", "--add", "producer_byte_rate"],
            'missing value in flag --add: "producer_byte_rate"',
        ),
        (
            ["alter", "--name", "client-id=x", "--add", "producer_byte_rate=fast"],
            'unable to parse add "producer_byte_rate=fast": strconv.ParseFloat: parsing "fast": invalid syntax',
        ),
        (["describe", "--name", "client-id"], '--name flag "client-id" missing value'),
        (
            ["describe", "--any", "topic"],
            "'any' type \"topic\" is invalid (allowed: client-id, client-id-prefix)",
        ),
        (["import"], 'Error: required flag(s) "from" not set'),
    ],
)
def test_flag_checks_read_as_rpk(quotas, args, message):
    result = quotas(*args)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == message


def test_import_shows_the_diff_asks_and_applies(quotas, tmp_path):
    assert (
        quotas("alter", "--add", "producer_byte_rate=100", "--name", "client-id=cli-old").exit_code
        == 0
    )
    doc = {
        "quotas": [
            {
                "entity": [{"name": "cli-new", "type": "client-id"}],
                "values": [{"key": "consumer_byte_rate", "value": "300"}],
            }
        ]
    }
    path = tmp_path / "quotas.json"
    path.write_text(json.dumps(doc))
    declined = quotas("import", "--from", str(path), input="n\n")
    assert declined.exit_code == 0
    assert declined.stdout.splitlines()[:3] == [
        "ENTITY             QUOTA-TYPE          OLD-VALUE  NEW-VALUE",
        "client-id=cli-new  consumer_byte_rate  -          300",
        "client-id=cli-old  producer_byte_rate  100        -",
    ]
    assert declined.stdout.rstrip().endswith("Import canceled.")
    assert "client-id=cli-old" in quotas("describe").stdout
    applied = quotas("import", "--from", str(path), "--no-confirm")
    assert applied.stdout.splitlines()[-1] == "Successfully imported the client quotas"
    assert quotas("describe").stdout == "client-id=cli-new\n\tconsumer_byte_rate=300\n"
    again = quotas("import", "--from", json.dumps(doc), "--no-confirm")
    assert again.stdout == "No changes detected from import\n"
    exported = quotas("describe", "--format", "yaml").stdout  # describe's yaml imports back
    assert (
        quotas("import", "--from", exported, "--no-confirm").stdout
        == "No changes detected from import\n"
    )
