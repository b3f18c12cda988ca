"""`rpk topic describe`: summary, configs and partitions of topics."""

from __future__ import annotations

from typing import Annotated

import typer
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from cli import options
from cli._app import add_command
from cli.clients import kafka as kc
from cli.clients.offsets import watermarks
from cli.errors import NotFound
from cli.options import FormatOpt, with_globals
from cli.output import check_format, format_columns, format_table, print_sections, print_structured
from cli.views import TopicView, match_regex, replicas_cell, topic_views


def summary_block(v: TopicView) -> str:
    rows = [["name", v.name]]
    if v.internal:
        rows.append(["internal", "true"])
    rows += [["partitions", len(v.partitions)], ["replicas", v.replicas]]
    if v.error:
        rows.append(["error", v.error])
    return format_columns(rows)


def config_rows(configs: dict) -> list[list[str]]:
    return [
        [k, "" if c.get("value") is None else c["value"], c.get("config_source", "")]
        for k, c in sorted(configs.items())
    ]


def partition_rows(v: TopicView, marks: dict) -> list[list]:
    rows = []
    for p in v.partitions:
        start, end = marks.get(TopicPartition(v.name, p.partition), (-1, -1))
        rows.append([p.partition, p.leader, p.epoch, replicas_cell(p.replicas), start, end])
    return rows


PARTITION_HEADERS = [
    "partition",
    "leader",
    "epoch",
    "replicas",
    "log-start-offset",
    "high-watermark",
]


@with_globals
@kc.kafka_command
def topic_describe(
    topics: Annotated[list[str], typer.Argument(help="Topics (or regexes with -r) to describe.")],
    print_summary: Annotated[
        bool, typer.Option("-s", "--print-summary", help="Print the summary section.")
    ] = False,
    print_configs: Annotated[
        bool, typer.Option("-c", "--print-configs", help="Print the config section.")
    ] = False,
    print_partitions: Annotated[
        bool, typer.Option("-p", "--print-partitions", help="Print the partitions section.")
    ] = False,
    print_all: Annotated[
        bool, typer.Option("-a", "--print-all", help="Print all sections.")
    ] = False,
    regex: Annotated[
        bool, typer.Option("-r", "--regex", help="Parse topics as regular expressions.")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Describe topics: summary and configs by default, partitions with -p or -a."""
    fmt = check_format(fmt)
    with kc.admin_session(options.params()) as admin:
        names = match_regex(admin.list_topics(), topics) if regex else topics
        if not names:
            typer.echo("did not match any topics, exiting.")
            return
        # rpk: several topics, or json/yaml, always get every section
        every = print_all or len(names) > 1 or fmt != "text"
        want_s, want_c, want_p = _sections(print_summary, print_configs, print_partitions, every)
        views = [v for v in topic_views(admin.describe_topics(names)) if v.name in set(names)]
        unknown = [v.name for v in views if v.error.startswith("UNKNOWN_TOPIC")]
        if unknown and len(unknown) == len(views):
            raise NotFound(f'UNKNOWN_TOPIC_OR_PARTITION: topic "{unknown[0]}" does not exist')
        views = [v for v in views if v.name not in unknown]
        configs = _configs(admin, [v.name for v in views]) if want_c else {}
        tps = [TopicPartition(v.name, p.partition) for v in views for p in v.partitions]
        marks = watermarks(admin, tps) if want_p else {}
    if fmt != "text":
        print_structured(
            [_doc(v, configs.get(v.name), marks, want_s, want_c, want_p) for v in views], fmt
        )
        return
    for v in views:
        sections = []
        if want_s:
            sections.append(("summary", summary_block(v)))
        if want_c:
            sections.append(
                (
                    "configs",
                    format_table(["key", "value", "source"], config_rows(configs.get(v.name, {}))),
                )
            )
        if want_p:
            sections.append(
                ("partitions", format_table(PARTITION_HEADERS, partition_rows(v, marks)))
            )
        print_sections(sections)


def _sections(s: bool, c: bool, p: bool, a: bool) -> tuple[bool, bool, bool]:
    if a:
        return True, True, True
    if not (s or c or p):
        return True, True, False
    return s, c, p


def _configs(admin, names: list[str]) -> dict:
    if not names:
        return {}
    resources = [ConfigResource(ConfigResourceType.TOPIC, n) for n in names]
    return admin.describe_configs(resources, config_filter="all").get("topic", {})


def _doc(v: TopicView, configs: dict | None, marks: dict, s: bool, c: bool, p: bool) -> dict:
    doc: dict = {}
    if s:
        doc["summary"] = {
            "name": v.name,
            "internal": v.internal,
            "partitions": len(v.partitions),
            "replicas": v.replicas,
            "error": v.error,
        }
    if c:
        doc["configs"] = [
            {"key": k, "value": val, "source": src} for k, val, src in config_rows(configs or {})
        ]
    doc.setdefault("summary", {})
    doc.setdefault("configs", [])
    doc["partitions"] = []  # rpk's describedTopic always has summary, configs and partitions
    if p:
        doc["partitions"] = [
            dict(
                zip(
                    [
                        "partition",
                        "leader",
                        "epoch",
                        "replicas",
                        "log_start_offset",
                        "high_watermark",
                    ],
                    row,
                )
            )
            for row in partition_rows(v, marks)
        ]
        for part, view in zip(doc["partitions"], v.partitions):
            part["replicas"] = view.replicas
    return doc


def register(app: typer.Typer) -> None:
    add_command(app, topic_describe, "describe", aliases=("info",))
