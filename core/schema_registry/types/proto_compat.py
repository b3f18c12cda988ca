"""Protobuf wire compatibility on descriptors (the rules are symmetric: old data must parse
with the new message and the other way round): package, messages, fields by number, scalar
type groups that share a wire encoding, labels, named types, oneofs and required fields."""

from __future__ import annotations

from google.protobuf import descriptor_pb2 as pb

from core.schema_registry.types.proto_render import type_name

F = pb.FieldDescriptorProto
# Scalars whose values read the same on the wire (Confluent's compatible groups).
GROUPS = [
    {F.TYPE_INT32, F.TYPE_UINT32, F.TYPE_INT64, F.TYPE_UINT64, F.TYPE_BOOL},
    {F.TYPE_SINT32, F.TYPE_SINT64},
    {F.TYPE_STRING, F.TYPE_BYTES},
    {F.TYPE_FIXED32, F.TYPE_SFIXED32},
    {F.TYPE_FIXED64, F.TYPE_SFIXED64},
]


def _messages(fdp: pb.FileDescriptorProto) -> dict[str, pb.DescriptorProto]:
    found: dict[str, pb.DescriptorProto] = {}

    def walk(message: pb.DescriptorProto, prefix: str) -> None:
        name = f"{prefix}{message.name}"
        found[name] = message
        for nested in message.nested_type:
            walk(nested, name + ".")

    for message in fdp.message_type:
        walk(message, "")
    return found


def _same_kind(r: pb.FieldDescriptorProto, w: pb.FieldDescriptorProto) -> bool:
    if r.type == w.type:
        return True
    if r.type == F.TYPE_ENUM or w.type == F.TYPE_ENUM:  # enums are varints on the wire
        return {r.type, w.type} <= {
            F.TYPE_ENUM,
            F.TYPE_INT32,
            F.TYPE_UINT32,
            F.TYPE_INT64,
            F.TYPE_UINT64,
        }
    return any(r.type in g and w.type in g for g in GROUPS)


def _short(name: str) -> str:
    return name.lstrip(".").rsplit(".", 1)[-1]


def incompatibilities(reader, writer) -> list[str]:
    (r_file, _), (w_file, _) = reader, writer
    out: list[str] = []
    if r_file.package != w_file.package:
        out.append(f"PACKAGE_CHANGED: '{w_file.package}' to '{r_file.package}'")
    r_msgs, w_msgs = _messages(r_file), _messages(w_file)
    for name, w_msg in w_msgs.items():
        r_msg = r_msgs.get(name)
        if r_msg is None:
            if not w_msg.options.map_entry:  # a removed map field takes its entry type along
                out.append(f"MESSAGE_REMOVED: {name}")
            continue
        out += _fields(name, r_msg, w_msg)
    return out


def _fields(name: str, r_msg: pb.DescriptorProto, w_msg: pb.DescriptorProto) -> list[str]:
    out: list[str] = []
    r_fields = {f.number: f for f in r_msg.field}
    w_fields = {f.number: f for f in w_msg.field}
    for number, w in w_fields.items():
        r = r_fields.get(number)
        where = f"{name}.{w.name} (#{number})"
        if r is None:
            if w.label == F.LABEL_REQUIRED:
                out.append(f"REQUIRED_FIELD_REMOVED: {where}")
            continue
        if not _same_kind(r, w):
            out.append(f"FIELD_TYPE_CHANGED: {where} from {type_name(w)} to {type_name(r)}")
        elif r.type in (F.TYPE_MESSAGE, F.TYPE_ENUM, F.TYPE_GROUP) and r.type == w.type:
            if _short(r.type_name) != _short(w.type_name):
                out.append(
                    f"FIELD_NAMED_TYPE_CHANGED: {where} from {type_name(w)} to {type_name(r)}"
                )
        if (r.label == F.LABEL_REPEATED) != (w.label == F.LABEL_REPEATED):
            scalar_packable = r.type not in (F.TYPE_MESSAGE, F.TYPE_STRING, F.TYPE_BYTES)
            if not scalar_packable or r.type != w.type:
                out.append(f"FIELD_LABEL_CHANGED: {where} repeated changed")
        if (r.label == F.LABEL_REQUIRED) != (w.label == F.LABEL_REQUIRED):
            out.append(f"REQUIRED_FIELD_CHANGED: {where}")
        out += _oneof(where, r_msg, r, w_msg, w)
    for number, r in r_fields.items():
        if number not in w_fields and r.label == F.LABEL_REQUIRED:
            out.append(f"REQUIRED_FIELD_ADDED: {name}.{r.name} (#{number})")
    out += _moved_to_oneof(name, r_msg, w_msg)
    return out


def _oneof_name(msg: pb.DescriptorProto, field: pb.FieldDescriptorProto) -> str | None:
    if field.HasField("oneof_index") and not field.proto3_optional:
        return msg.oneof_decl[field.oneof_index].name
    return None


def _oneof(where, r_msg, r, w_msg, w) -> list[str]:
    r_one, w_one = _oneof_name(r_msg, r), _oneof_name(w_msg, w)
    if w_one is not None and r_one != w_one:
        return [f"ONEOF_FIELD_REMOVED: {where} left oneof {w_one}"]
    return []


def _moved_to_oneof(name: str, r_msg: pb.DescriptorProto, w_msg: pb.DescriptorProto) -> list[str]:
    """Existing fields moved into a oneof: old data may set several of them at once. One field
    into a new oneof is safe; into an existing oneof, or several together, is not."""
    w_fields = {f.number: f for f in w_msg.field}
    w_oneofs = {_oneof_name(w_msg, f) for f in w_msg.field} - {None}
    moved: dict[str, int] = {}
    for r in r_msg.field:
        one = _oneof_name(r_msg, r)
        w = w_fields.get(r.number)
        if one is not None and w is not None and _oneof_name(w_msg, w) is None:
            moved[one] = moved.get(one, 0) + 1
    out = [f"FIELD_MOVED_TO_EXISTING_ONEOF: {name}.{one}" for one in moved if one in w_oneofs]
    out += [
        f"MULTIPLE_FIELDS_MOVED_TO_ONEOF: {name}.{one}"
        for one, n in moved.items()
        if n > 1 and one not in w_oneofs
    ]
    return out
