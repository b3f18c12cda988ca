"""`rpk cluster quotas|quota alter | describe | import` (Kafka DescribeClientQuotas and
AlterClientQuotas), with rpk's flags, validation messages, tables and --format documents."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
import yaml

from cli import options, yaml_v3
from cli._app import add_command, add_group, new_group
from cli.clients import kafka as kc
from cli.clients import quotas as q
from cli.errors import CliError, FlagError, UsageError
from cli.options import with_globals
from cli.output import check_format, go_json, print_table

ANY_TYPES = ("client-id", "client-id-prefix", "user", "ip")
DEFAULT_TYPES = ("client-id", "user", "ip")
FORMATS = ("text", "json", "yaml")

FormatOpt = Annotated[str, typer.Option("--format", help=options.FORMAT_HELP)]


def _split(values: Optional[list[str]]) -> list[str]:
    """pflag's StringSlice: every occurrence, comma separated."""
    return [part for value in values or [] for part in value.split(",") if part != ""]


def _format(fmt: str) -> str:
    return check_format("text" if fmt in ("wide", "long") else fmt, FORMATS)


def _emit(value: Any, fmt: str) -> None:
    if fmt == "json":
        print(go_json(value))
    else:
        print(yaml_v3.dump(value))


def _entity_doc(entity: q.Entity) -> list[dict[str, str]]:
    return [{"name": "<default>" if n is None else n, "type": t} for t, n in sorted(entity)]


def _name_pairs(names: list[str], flag: str) -> list[tuple[str, str]]:
    out = []
    for name in names:
        key, sep, value = name.partition("=")
        if not sep:
            raise CliError(f"{flag} {key!r} missing value".replace("'", '"'))
        if key.lower() not in ANY_TYPES:
            raise CliError(f'name type "{key}" is invalid (allowed: client-id, client-id-prefix)')
        out.append((key.lower(), value))
    return out


# ---- describe ---------------------------------------------------------------------------------


def described_doc(found: list[q.Described]) -> dict[str, Any]:
    quotas = [
        {
            "entity": _entity_doc(d.entity),
            "values": [{"key": k, "value": q.value_text(v)} for k, v in d.values.items()],
        }
        for d in found
    ]
    return {"quotas": quotas} if quotas else {}


def described_text(found: list[q.Described]) -> str:
    if not found:
        return "no quotas matched to describe"
    blocks = []
    for d in found:
        lines = [q.entity_text(d.entity)]
        lines += [f"\t{k}={q.value_text(v)}" for k, v in d.values.items()]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@with_globals
@kc.kafka_command
def quotas_describe(
    names: Annotated[
        Optional[list[str]],
        typer.Option(
            "--name",
            help="type=name pair for exact name matching, where type is client-id or client-id-prefix (repeatable).",
            metavar="strings",
        ),
    ] = None,
    defaults: Annotated[
        Optional[list[str]],
        typer.Option(
            "--default",
            help="type for default matching, where type is client-id or client-id-prefix (repeatable).",
            metavar="strings",
        ),
    ] = None,
    anys: Annotated[
        Optional[list[str]],
        typer.Option(
            "--any",
            help="type for any matching (names or default), where type is client-id or client-id-prefix (repeatable).",
            metavar="strings",
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="whether matches are strict, if true, entities with unspecified entity types are excluded.",
        ),
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Describe client quotas.

    This command describes client quotas that match the provided filtering criteria. Running
    the command without filters returns all client quotas. Use the '--strict' flag for strict
    matching, which means that the only quotas returned exactly match the filters.
    """
    kind = _format(fmt)
    components: list[tuple[str, int, str | None]] = []
    for t, n in _name_pairs(_split(names), "--name flag"):
        components.append((t, q.MATCH_EXACT, n))
    for d in _split(defaults):
        if d.lower() not in DEFAULT_TYPES:
            raise CliError(f'default type "{d}" is invalid (allowed: client-id)')
        components.append((d.lower(), q.MATCH_DEFAULT, None))
    for a in _split(anys):
        if a.lower() not in ANY_TYPES:
            raise CliError(f"'any' type \"{a}\" is invalid (allowed: client-id, client-id-prefix)")
        components.append((a.lower(), q.MATCH_ANY, None))
    found = _or_die(
        "unable to describe client quotas", q.describe, options.params(), components, strict
    )
    if kind == "text":
        print(described_text(found))
    else:
        _emit(described_doc(found), kind)


def _or_die(what: str, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except CliError as exc:
        if isinstance(exc, UsageError):
            raise
        raise type(exc)(f"{what}: {exc}") from None


# ---- alter ------------------------------------------------------------------------------------


@with_globals
@kc.kafka_command
def quotas_alter(
    names: Annotated[
        Optional[list[str]],
        typer.Option(
            "--name",
            help="Entity for exact matching. Format type=name where type is client-id or client-id-prefix (repeatable).",
            metavar="strings",
        ),
    ] = None,
    defaults: Annotated[
        Optional[list[str]],
        typer.Option(
            "--default",
            help="Entity type for default matching, where type is client-id or client-id-prefix (repeatable).",
            metavar="strings",
        ),
    ] = None,
    adds: Annotated[
        Optional[list[str]],
        typer.Option(
            "--add",
            help="Key=value quota to add, where the value is a float number (repeatable).",
            metavar="strings",
        ),
    ] = None,
    deletes: Annotated[
        Optional[list[str]],
        typer.Option(
            "--delete", help="Key of the quota to delete (repeatable).", metavar="strings"
        ),
    ] = None,
    dry: Annotated[
        bool, typer.Option("--dry", help="Validate the request without altering the quotas.")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Add or delete a client quota.

    A client quota consists of an entity (to whom the quota is applied) and a quota type (what
    is being applied). There are two entity types supported by Redpanda: client ID and client
    ID prefix. Assigning quotas to default entity types is possible using the '--default'
    flag. You can perform a dry run using the '--dry' flag.
    """
    kind = _format(fmt)
    names_, defaults_, adds_, deletes_ = (
        _split(names),
        _split(defaults),
        _split(adds),
        _split(deletes),
    )
    if not names_ and not defaults_:
        raise FlagError("at least one of the flags in the group [name default] is required")
    if not adds_ and not deletes_:
        raise FlagError("at least one of the flags in the group [add delete] is required")
    entity: q.Entity = list(_name_pairs(names_, "name"))
    named = {t for t, _ in entity}
    for d in defaults_:
        if d not in DEFAULT_TYPES:
            raise CliError(f'default type "{d}" is invalid (allowed: client-id)')
        if d in named:
            raise CliError(
                f'default type "{d}" was previously defined in --name, you can only set it once'
            )
        entity.append((d, None))
    ops: list[tuple[str, float, bool]] = []
    for add in adds_:
        key, sep, value = add.partition("=")
        if not sep:
            raise CliError(f'missing value in flag --add: "{add}"')
        try:
            number = float(value)
        except ValueError:
            raise CliError(
                f'unable to parse add "{add}": strconv.ParseFloat: parsing "{value}": invalid syntax'
            ) from None
        ops.append((key, number, False))
    ops += [(key, 0.0, True) for key in deletes_]
    altered = _or_die(
        "unable to run alter client quotas", q.alter, options.params(), [(entity, ops)], dry
    )
    if not altered:
        raise CliError("unable to run alter client quotas: the broker answered no entry")
    result = altered[-1]
    status = "OK" if result.error is None else f"Error: {result.error.split(': ', 1)[-1]}"
    if kind == "text":
        print_table(["entity", "status"], [[q.entity_text(result.entity), status]])
    else:
        _emit({"entity": _entity_doc(result.entity), "status": status}, kind)


# ---- import -----------------------------------------------------------------------------------


def _read_source(source: str) -> str:
    path = Path(source)
    try:
        return path.read_text()
    except (FileNotFoundError, OSError) as exc:
        if isinstance(exc, FileNotFoundError) or "too long" in str(exc).lower():
            return source
        raise CliError(f"unable to read file: {exc.strerror or exc}") from None


def parse_import(source: str) -> list[q.Described]:
    text = _read_source(source)
    try:
        doc = json.loads(text)
    except ValueError as json_err:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as yaml_err:
            raise CliError(
                f'unable to parse quotas from "{source}": {json_err}: {str(yaml_err).splitlines()[0]}'
            ) from None
    if not isinstance(doc, dict):
        raise CliError(f'unable to parse quotas from "{source}": expected an object with "quotas"')
    out = []
    for item in doc.get("quotas") or []:
        entity = [
            (str(e.get("type", "")), str(e.get("name", ""))) for e in item.get("entity") or []
        ]
        values = {}
        for v in item.get("values") or []:
            raw = str(v.get("value", ""))
            try:
                values[str(v.get("key", ""))] = float(raw)
            except ValueError:
                raise CliError(
                    f'unable to parse quotas: unable to parse client quota value "{raw}": '
                    f'strconv.ParseFloat: parsing "{raw}": invalid syntax'
                ) from None
        out.append(q.Described(sorted(entity), values))
    return out


def _component(e: dict) -> tuple[str, str | None]:
    """A documented component; `<default>` (what describe prints) is the default entity."""
    name = str(e.get("name", ""))
    return str(e.get("type", "")), None if name == "<default>" else name


def quotas_diff(before: list[q.Described], after: list[q.Described]) -> list[dict[str, str]]:
    """Per entity and key: old and new values ('-' when absent), unchanged ones left out."""
    table: dict[str, dict[str, list[str]]] = {}
    for d in before:
        keys = table.setdefault(q.entity_text(d.entity), {})
        for k, v in d.values.items():
            keys[k] = [q.value_text(v), ""]
    for d in after:
        keys = table.setdefault(q.entity_text(d.entity), {})
        for k, v in d.values.items():
            new = q.value_text(v)
            if k not in keys:
                keys[k] = ["-", new]
            elif keys[k][0] == new:
                del keys[k]
            else:
                keys[k][1] = new
    return [
        {"entity": e, "quota-type": k, "old-value": old, "new-value": new or "-"}
        for e, keys in sorted(table.items())
        for k, (old, new) in sorted(keys.items())
    ]


@with_globals
@kc.kafka_command
def quotas_import(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            help="Either the quotas or a path to a file containing the quotas to import; check help text for more information.",
        ),
    ] = "",
    no_confirm: Annotated[
        bool, typer.Option("--no-confirm", help="Disable confirmation prompt.")
    ] = False,
    fmt: FormatOpt = "text",
) -> None:
    """Import client quotas.

    Use this command to import client quotas in the format produced by 'rpk cluster quotas
    describe --format json/yaml'. Current quotas not in the import are removed. Use the
    '--no-confirm' flag if you wish to avoid the confirmation prompt.
    """
    kind = _format(fmt)
    if not source:
        raise FlagError('required flag(s) "from" not set')
    imported = parse_import(source)
    p = options.params()
    current = _or_die("unable to describe client quotas", q.describe, p, [], False)
    diff = quotas_diff(current, imported)
    if not diff:
        print("No changes detected from import")
        return
    if kind == "text":
        rows = [[d["entity"], d["quota-type"], d["old-value"], d["new-value"]] for d in diff]
        print_table(["ENTITY", "QUOTA-TYPE", "OLD-VALUE", "NEW-VALUE"], rows)
    else:
        _emit(diff, kind)
    if not no_confirm and not typer.confirm("Confirm client quotas import above?", default=False):
        print("Import canceled.")
        return
    entries = [(d.entity, [(k, 0.0, True) for k in d.values]) for d in current]
    entries += [(d.entity, [(k, v, False) for k, v in d.values.items()]) for d in imported]
    altered = _or_die("unable to alter quotas", q.alter, p, entries, False)
    failed = [a for a in altered if a.error]
    if failed:
        raise CliError(
            f"unable to alter quotas: {q.entity_text(failed[0].entity)}: {failed[0].error}"
        )
    if kind == "text":
        print("Successfully imported the client quotas")
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    group = new_group("quotas", "Manage Redpanda client quotas.")
    add_command(group, quotas_alter, "alter")
    add_command(group, quotas_describe, "describe")
    add_command(group, quotas_import, "import")
    add_group(app, group, "quotas", aliases=("quota",))
