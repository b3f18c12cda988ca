"""`rpk cluster partitions move-status` laid out as rpk's move_status.go: the PARTITION MOVEMENTS
title always printed, rows deep-sorted as rpk's types.Sort, and with -a one RECONCILIATION
STATUSES row per node holding all of that node's operations. Golden text from a response in the
Admin API's shape (our brokers report no reconciliation operations, so their rows are built
here; tests/moves/test_rpk_moves.py runs the command against real brokers)."""

from __future__ import annotations

from cli.commands.cluster.partitions.move_status import render


def _move(topic: str, partition: int, prev: list[int], cur: list[int], statuses=None) -> dict:
    return {
        "ns": "kafka",
        "topic": topic,
        "partition": partition,
        "previous_replicas": [{"node_id": n, "core": 0} for n in prev],
        "current_replicas": [{"node_id": n, "core": 0} for n in cur],
        "partition_size": 2000,
        "bytes_moved": 500,
        "bytes_left_to_move": 1500,
        "reconciliation_statuses": statuses or [],
    }


def _op(kind: str, revision: int, status: str) -> dict:
    return {"core": 0, "type": kind, "retry_number": 0, "revision": revision, "status": status}


MOVES = [
    _move("b", 0, [3, 1, 2], [2, 4, 1]),
    _move(
        "a",
        1,
        [1, 2, 3],
        [1, 2, 4],
        [
            {"node_id": 4, "operations": [_op("addition", 20, "in_progress")]},
            {
                "node_id": 1,
                "operations": [_op("update", 21, "done"), _op("update", 20, "in_progress")],
            },
        ],
    ),
]


def test_title_always_printed_and_rows_sorted():
    assert render(MOVES, human=False, print_all=False) == (
        "PARTITION MOVEMENTS\n"
        "===================\n"
        "NAMESPACE-TOPIC  PARTITION  MOVING-FROM  MOVING-TO  COMPLETION-%  PARTITION-SIZE  "
        "BYTES-MOVED  BYTES-REMAINING\n"
        "kafka/a          1          [1 2 3]      [1 2 4]    25            2000            "
        "500          1500\n"
        "kafka/b          0          [1 2 3]      [1 2 4]    25            2000            "
        "500          1500"
    )


def test_human_sizes():
    row = render(MOVES[:1], human=True, print_all=False).splitlines()[3].split()
    assert row[-3:] == ["2kB", "500B", "1.5kB"]


def test_print_all_one_row_per_node():
    text = render(MOVES, human=False, print_all=True)
    movements, statuses = text.split("\n\nRECONCILIATION STATUSES\n")
    assert movements == render(MOVES, human=False, print_all=False)
    assert statuses == (
        "=======================\n"
        "kafka/a/1\n"
        "NODE-ID  CORE  TYPE      RETRY-NUMBER  REVISION  STATUS\n"
        "1        0     update    0             20        in_progress  0     update  0     21    done\n"
        "4        0     addition  0             20        in_progress\n"
        "\n"
        "kafka/b/0\n"
        "NODE-ID  CORE  TYPE  RETRY-NUMBER  REVISION  STATUS"
    )
