"""Tables laid out as Go's text/tabwriter with rpk's settings (minwidth 6, padding 2)."""

from __future__ import annotations

from cli.output import format_columns, format_rows, format_table, tabwrite
from cli.views import PartitionView, TopicView, detailed_text


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


# The goldens below are worked out by hand from text/tabwriter's rules (Go is not on this
# machine): a column is aligned only over consecutive lines that each have a cell in it (the
# text after a line's last tab is in no column); its width is the widest cell (in runes) plus
# 2, at least 6.


def test_a_short_line_ends_every_column_block():
    rows = [["a", "b", "c"], ["longer-cell", "x", "y"], ["z"], ["q", "r", "s"]]
    assert format_rows(rows) == "a            b     c\nlonger-cell  x     y\nz\nq     r     s"


def test_a_column_is_aligned_only_where_the_lines_have_it():
    rows = [["aaaaaaaaaa", "b", "c"], ["d", "e"], ["f", "g", "hhhhhhhhhhh", "i"]]
    assert format_rows(rows) == (
        "aaaaaaaaaa  b     c\nd           e\nf           g     hhhhhhhhhhh  i"
    )


def test_self_test_report_layout():
    rows = [
        ["NODE ID: 0 | STATUS: idle"],
        ["========================="],
        ["NAME", "512KB sequential r/w"],
        ["TYPE", "disk"],
        ["IOPS", "100 req/sec"],
        ["LATENCY", "P50", "P90", "MAX"],
        ["", "10us", "20us", "30us"],
        [""],
    ]
    assert format_rows(rows) == "\n".join(
        [
            "NODE ID: 0 | STATUS: idle",
            "=========================",
            "NAME     512KB sequential r/w",
            "TYPE     disk",
            "IOPS     100 req/sec",
            "LATENCY  P50   P90   MAX",
            "         10us  20us  30us",
            "",
        ]
    )


def test_widths_count_runes_not_bytes():
    assert format_rows([["héllo", "x"], ["日本", "y"]]) == "héllo  x\n日本     y"


def test_a_newline_inside_a_cell_starts_a_line_as_in_go():
    assert format_rows([["key", "line1\nline2"], ["k2", "v"]]) == "key   line1\nline2\nk2    v"


def test_tabwrite_flushes_an_unterminated_last_line_as_go():
    assert tabwrite("a\tb\nccc\t") == "a     b\nccc"
    assert tabwrite("a\tb\n") == "a     b\n"
    assert tabwrite("") == ""


def test_nested_partition_tables_are_indented_by_the_empty_column():
    ok = PartitionView(partition=1, leader=2, epoch=3, replicas=[3, 1, 2])
    down = PartitionView(0, -1, -1, [1, 2, 3], offline=[2], error="LEADER_NOT_AVAILABLE")
    views = [TopicView("t", False, [ok, down]), TopicView("__c", True, [])]
    assert detailed_text(views) == "\n".join(
        [
            "t, 2 partitions, 3 replicas",
            "      PARTITION  LEADER  EPOCH  REPLICAS  OFFLINE_REPLICAS  LOAD_ERROR",
            "      0          -1      0      [1 2 3]   [2]               LEADER_NOT_AVAILABLE",
            "      1          2       3      [1 2 3]   []                ",
            "",
            "__c (internal), 0 partitions, 0 replicas",
            "      PARTITION  LEADER  REPLICAS",
        ]
    )
    assert detailed_text(views, cluster_info=True).splitlines()[1:4] == [
        "      PARTITION  LEADER  EPOCH  REPLICAS  OFFLINE-REPLICAS  LOAD-ERROR",
        "      0          -1      -1     [1 2 3]   [2]               LEADER_NOT_AVAILABLE",
        "      1          2       3      [1 2 3]   []                -",
    ]
    assert detailed_text(views, cluster_info=True).endswith(
        "__c (internal), 0 partitions\n      PARTITION  LEADER  REPLICAS"
    )
