"""JSON printed as Go's encoding/json prints it (rpk's --format json)."""

from __future__ import annotations

from cli.output import go_json


def test_utf8_is_kept_and_html_characters_are_escaped_as_go():
    assert go_json({"topic": "café<&>", "n": [1, {}]}) == (
        '{"topic":"café\\u003c\\u0026\\u003e","n":[1,{}]}'
    )
    assert go_json("\u2028") == '"\\u2028"'


def test_marshal_indent_with_a_tab():
    assert go_json([{"a": 1, "b": []}], indent="\t") == '[\n\t{\n\t\t"a": 1,\n\t\t"b": []\n\t}\n]'
