"""FileDescriptorProto -> .proto text: how a base64 descriptor (Confluent's Protobuf serializer
sends one) is stored, and the normalized form of any Protobuf schema."""

from __future__ import annotations

from google.protobuf import descriptor_pb2 as pb

F = pb.FieldDescriptorProto
SCALARS = {
    F.TYPE_DOUBLE: "double",
    F.TYPE_FLOAT: "float",
    F.TYPE_INT64: "int64",
    F.TYPE_UINT64: "uint64",
    F.TYPE_INT32: "int32",
    F.TYPE_FIXED64: "fixed64",
    F.TYPE_FIXED32: "fixed32",
    F.TYPE_BOOL: "bool",
    F.TYPE_STRING: "string",
    F.TYPE_BYTES: "bytes",
    F.TYPE_UINT32: "uint32",
    F.TYPE_SFIXED32: "sfixed32",
    F.TYPE_SFIXED64: "sfixed64",
    F.TYPE_SINT32: "sint32",
    F.TYPE_SINT64: "sint64",
}


def type_name(field: pb.FieldDescriptorProto) -> str:
    if field.type in SCALARS:
        return SCALARS[field.type]
    return field.type_name.lstrip(".")


def render(fdp: pb.FileDescriptorProto) -> str:
    syntax = fdp.syntax or "proto2"
    lines = [f'syntax = "{syntax}";']
    if fdp.package:
        lines.append(f"package {fdp.package};")
    lines += [f'import "{dep}";' for dep in fdp.dependency]
    for key, value in _file_options(fdp):
        lines.append(f"option {key} = {value};")
    for message in fdp.message_type:
        lines += _message(message, syntax, 0)
    for enum in fdp.enum_type:
        lines += _enum(enum, 0)
    for service in fdp.service:
        lines.append(f"service {service.name} {{")
        for m in service.method:
            ins = ("stream " if m.client_streaming else "") + m.input_type.lstrip(".")
            outs = ("stream " if m.server_streaming else "") + m.output_type.lstrip(".")
            lines.append(f"  rpc {m.name} ({ins}) returns ({outs});")
        lines.append("}")
    return "\n".join(lines) + "\n"


def _file_options(fdp: pb.FileDescriptorProto):
    options = fdp.options
    for name in ("java_package", "java_outer_classname", "go_package", "csharp_namespace"):
        if options.HasField(name):
            yield name, f'"{getattr(options, name)}"'
    if options.HasField("java_multiple_files"):
        yield "java_multiple_files", str(options.java_multiple_files).lower()


def _field(field: pb.FieldDescriptorProto, syntax: str, maps: dict, pad: str) -> str:
    entry = maps.get(field.type_name.lstrip("."))
    if entry is not None:
        k, v = entry.field[0], entry.field[1]
        return f"{pad}map<{type_name(k)}, {type_name(v)}> {field.name} = {field.number};"
    label = ""
    if field.label == F.LABEL_REPEATED:
        label = "repeated "
    elif field.label == F.LABEL_REQUIRED:
        label = "required "
    elif syntax == "proto2" or field.proto3_optional:
        label = "optional "
    default = f' [default = "{field.default_value}"]' if field.HasField("default_value") else ""
    if default and field.type != F.TYPE_STRING:
        default = f" [default = {field.default_value}]"
    return f"{pad}{label}{type_name(field)} {field.name} = {field.number}{default};"


def _message(message: pb.DescriptorProto, syntax: str, depth: int, prefix: str = "") -> list[str]:
    pad, inner = "  " * depth, "  " * (depth + 1)
    lines = [f"{pad}message {message.name} {{"]
    full = f"{prefix}{message.name}"
    maps = {f"{full}.{n.name}": n for n in message.nested_type if n.options.map_entry}
    maps.update({f".{k}".lstrip("."): v for k, v in maps.items()})
    oneofs: dict[int, list[str]] = {}
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            oneofs.setdefault(field.oneof_index, []).append(
                _field(field, "proto3", {}, inner + "  ")
            )
            continue
        lines.append(_field(field, syntax, _maps_by_suffix(maps, field), inner))
    for index, fields in oneofs.items():
        lines.append(f"{inner}oneof {message.oneof_decl[index].name} {{")
        lines += fields
        lines.append(f"{inner}}}")
    for nested in message.nested_type:
        if not nested.options.map_entry:
            lines += _message(nested, syntax, depth + 1, f"{full}.")
    for enum in message.enum_type:
        lines += _enum(enum, depth + 1)
    for rng in message.reserved_range:
        end = "max" if rng.end >= 536870912 else str(rng.end - 1)
        lines.append(
            f"{inner}reserved {rng.start}" + ("" if end == str(rng.start) else f" to {end}") + ";"
        )
    lines.append(f"{pad}}}")
    return lines


def _maps_by_suffix(maps: dict, field: pb.FieldDescriptorProto) -> dict:
    name = field.type_name.lstrip(".")
    for key, entry in maps.items():
        if name == key or name.endswith("." + key):
            return {name: entry}
    return {}


def _enum(enum: pb.EnumDescriptorProto, depth: int) -> list[str]:
    pad, inner = "  " * depth, "  " * (depth + 1)
    lines = [f"{pad}enum {enum.name} {{"]
    if enum.options.HasField("allow_alias"):
        lines.append(f"{inner}option allow_alias = {str(enum.options.allow_alias).lower()};")
    lines += [f"{inner}{v.name} = {v.number};" for v in enum.value]
    lines.append(f"{pad}}}")
    return lines
