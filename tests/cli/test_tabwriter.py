"""Tables laid out as Go's text/tabwriter with rpk's settings (minwidth 6, padding 2)."""

from __future__ import annotations

from cli.output import format_columns, format_table


def test_minimum_column_width_and_padding():
    assert format_table(["id", "host"], [[0, "a"], [10, "bbbbbbbb"]]) == (
        "ID    HOST\n0     a\n10    bbbbbbbb"
    )
    assert format_table(["topic", "status"], [["a-long-topic", "OK"]]) == (
        "TOPIC         STATUS\na-long-topic  OK"
    )


def test_an_empty_last_cell_keeps_the_padding_before_it():
    assert format_table(["a", "b"], [["x", ""]]) == "A     B\nx     "


def test_key_value_columns():
    assert format_columns([["name", "t"], ["partitions", 3]]) == "NAME        t\nPARTITIONS  3"
