"""cli.yaml_v3.dump writes what Go's gopkg.in/yaml.v3 Marshal writes (rpk's --format yaml):
4-space indentation aligned to multiples of 4, mappings in sequences after "- ", strings quoted
only when plain would read back as another type, literal blocks, Go's float format."""

from __future__ import annotations

import pytest
import yaml

from cli.yaml_v3 import dump


def test_nesting_as_yaml_v3():
    doc = {"a": [{"b": [1, 2], "c": {"d": "x"}}], "e": {"f": [[1, 2], [3]]}}
    assert dump(doc) == (
        "a:\n"
        "    - b:\n"
        "        - 1\n"
        "        - 2\n"
        "      c:\n"
        "        d: x\n"
        "e:\n"
        "    f:\n"
        "        - - 1\n"
        "          - 2\n"
        "        - - 3\n"
    )
    assert dump([{"a": 1, "b": [1]}, "x"]) == "- a: 1\n  b:\n    - 1\n- x\n"
    assert dump({}) == "{}\n" and dump({"e": {}, "l": []}) == "e: {}\nl: []\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("", '""'),
        ("1000", '"1000"'),
        ("yes", '"yes"'),
        ("null", '"null"'),
        ("true", '"true"'),
        ("a: b", "'a: b'"),
        ("plain text", "plain text"),
        ("<default>", "<default>"),
        (None, "null"),
        (True, "true"),
        (1.5, "1.5"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (123456.0, "123456"),
        (0.00001, "1e-05"),
    ],
)
def test_scalars_as_yaml_v3(value, text):
    assert dump({"k": value}) == f"k: {text}\n"
    loaded = yaml.safe_load(dump({"k": value}))["k"]
    # PyYAML (YAML 1.1) reads "1e+06" as a string; YAML 1.2 (yaml.v3) as the float
    assert (float(loaded) if isinstance(value, float) else loaded) == value


def test_multi_line_strings_are_literal_blocks():
    assert dump({"k": "a\nb"}) == "k: |-\n    a\n    b\n"
    assert dump({"k": "a\nb\n"}) == "k: |\n    a\n    b\n"
    assert yaml.safe_load(dump({"k": "a\n\nb"})) == {"k": "a\n\nb"}
