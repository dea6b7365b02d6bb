"""Reading and writing proto fields by dotted, indexed paths.

A path names a field from a message down, one segment per level, with an
index for an element of a repeated field:

    model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator.scales
    train_config.data_augmentation_options[1].random_horizontal_flip
    eval_input_reader[0].shuffle

Setting creates absent parent messages. A path may not go below a oneof
member other than the one that is set (`model.ssd.num_classes` in a
faster_rcnn config): that would silently drop the set member. Setting a
member as a whole (`model.ssd='{...}'`) switches the oneof explicitly.
Reading below an unset member is refused the same way, rather than
answering with defaults of a branch the config does not use. Values may be Python values or strings as a
command line gives them: numbers, `true`/`false`, enum names, `[a, b, c]`
lists for repeated fields, and text protos (`{ learning_rate: 0.1 }`) for
messages. Every failure is a ConfigError that names the path, the rule and,
for unknown names, the closest valid ones.
"""

import re
from typing import Any, List, Optional, Tuple

from google.protobuf import descriptor as descriptor_lib
from google.protobuf import json_format
from google.protobuf import message as message_lib

from object_detection.utils import config_errors
from object_detection.utils import config_parsing

ConfigError = config_errors.ConfigError
_FD = descriptor_lib.FieldDescriptor

_SEGMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?[0-9]+)\])?\Z")

_INT_RANGES = {
    _FD.CPPTYPE_INT32: ("int32", -2**31, 2**31 - 1),
    _FD.CPPTYPE_INT64: ("int64", -2**63, 2**63 - 1),
    _FD.CPPTYPE_UINT32: ("uint32", 0, 2**32 - 1),
    _FD.CPPTYPE_UINT64: ("uint64", 0, 2**64 - 1),
}
_TRUE_WORDS = frozenset(("true", "t", "1", "yes", "y", "on"))
_FALSE_WORDS = frozenset(("false", "f", "0", "no", "n", "off"))

Segments = List[Tuple[str, Optional[int]]]


def _error(path: str, reason: str, suggestions=()) -> ConfigError:
  return ConfigError("%s: %s" % (path or "<top level>", reason),
                     field_path=path, reason=reason, suggestions=suggestions)


def _join(path: str, name: str) -> str:
  return "%s.%s" % (path, name) if path else name


def parse_field_path(path: str) -> Segments:
  """Splits 'a.b[2].c' into [('a', None), ('b', 2), ('c', None)].

  Args:
    path: dotted field path; each segment an identifier with an optional
      integer index in brackets (negative counts from the end).

  Returns:
    list of (field name, index or None).

  Raises:
    ConfigError: the path is empty or a segment is malformed.
  """
  if not isinstance(path, str) or not path.strip():
    raise ConfigError("invalid field path %r: it is empty" % (path,),
                      reason="empty field path")
  segments = []
  for part in path.strip().split("."):
    match = _SEGMENT.match(part)
    if not match:
      raise ConfigError(
          "invalid field path %r: segment %r is not a field name with an "
          "optional [index]" % (path, part), reason="invalid field path")
    index = match.group(2)
    segments.append((match.group(1), int(index) if index is not None else None))
  return segments


def _field(message_descriptor: descriptor_lib.Descriptor, name: str,
           parent_path: str) -> descriptor_lib.FieldDescriptor:
  """The field `name` of a message type, or a ConfigError with suggestions."""
  field = message_descriptor.fields_by_name.get(name)
  if field is None:
    suggestions = config_errors.closest_names(
        name, message_descriptor.fields_by_name)
    reason = config_errors.with_suggestions(
        "unknown field '%s' in %s" % (name, message_descriptor.name),
        suggestions)
    raise _error(_join(parent_path, name), reason, suggestions)
  return field


def find_field_descriptor(message_descriptor: descriptor_lib.Descriptor,
                          path: str) -> descriptor_lib.FieldDescriptor:
  """The descriptor of the field a path ends at (indices are ignored).

  Args:
    message_descriptor: descriptor of the message the path starts from, e.g.
      pipeline_pb2.TrainEvalPipelineConfig.DESCRIPTOR.
    path: dotted field path.

  Returns:
    The FieldDescriptor of the last segment.

  Raises:
    ConfigError: a segment names no field, or descends into a scalar.
  """
  segments = parse_field_path(path)
  walked = ""
  field = None
  current = message_descriptor
  for name, _ in segments:
    if current is None:
      raise _error(walked, "is not a message; it has no field '%s'" % name)
    field = _field(current, name, walked)
    walked = _join(walked, name)
    current = field.message_type
  return field


def _index(container, index: Optional[int], path: str, allow_append: bool
           ) -> int:
  """Resolves an element index of a repeated field (see module docstring)."""
  size = len(container)
  if index is None:
    if size == 1 or (size == 0 and allow_append):
      return 0
    if size == 0:
      raise _error(path, "has no elements")
    raise _error(path, "has %d elements; pick one, e.g. %s[0]" % (
        size, path.rsplit(".", 1)[-1]))
  resolved = index + size if index < 0 else index
  if 0 <= resolved < size or (allow_append and resolved == size):
    return resolved
  limit = "0..%d" % size if allow_append else "0..%d" % (size - 1)
  if size == 0 and not allow_append:
    raise _error(path, "index %d is out of range: the field is empty" % index)
  raise _error(path, "index %d is out of range (valid: %s)" % (index, limit))


def _check_oneof_member(parent: message_lib.Message,
                        field: descriptor_lib.FieldDescriptor,
                        parent_path: str) -> None:
  """Refuses a path through a oneof member other than the one that is set.

  Going down such a path would silently discard the member that is set (a
  whole `faster_rcnn { ... }` block for `model.ssd.num_classes`). Setting a
  member as a whole (`model.ssd={...}`) is the explicit way to switch, so
  only paths that continue below the member are checked.
  """
  oneof = field.containing_oneof
  if oneof is None:
    return
  chosen = parent.WhichOneof(oneof.name)
  if chosen is None or chosen == field.name:
    return
  raise _error(
      _join(parent_path, field.name),
      "%s holds %r (oneof %r), not %r; to switch, set %s as a whole, e.g. "
      "%s='{ ... }'" % (parent_path or "the message", chosen, oneof.name,
                        field.name, field.name, _join(parent_path, field.name)))


def _descend(message: message_lib.Message, segments: Segments, create: bool
             ) -> Tuple[message_lib.Message, str]:
  """Walks all but the last segment; returns (parent message, its path)."""
  current = message
  walked = ""
  for position, (name, index) in enumerate(segments[:-1]):
    field = _field(current.DESCRIPTOR, name, walked)
    _check_oneof_member(current, field, walked)
    path = _join(walked, name)
    if field.cpp_type != _FD.CPPTYPE_MESSAGE:
      raise _error(path, "is a scalar field; it has no field '%s'" %
                   segments[position + 1][0])
    if field.is_repeated:
      container = getattr(current, name)
      i = _index(container, index, path, allow_append=create)
      current = container[i] if i < len(container) else container.add()
      walked = "%s[%d]" % (path, i)
    else:
      if index is not None:
        raise _error(path, "is not a repeated field; drop the [%d]" % index)
      current = getattr(current, name)
      walked = path
  return current, walked


def get_field_by_path(message: message_lib.Message, path: str) -> Any:
  """Reads the value a field path names.

  An unset field reads as its default (an empty message for messages). A
  repeated field named without an index reads as its container (a sequence);
  with an index, as that element. A repeated message on the way down may
  omit the index when it holds exactly one element.

  Args:
    message: the message the path starts from.
    path: dotted field path, e.g. 'train_config.batch_size'.

  Returns:
    The value: a Python scalar (enums as their number), a message, or a
    repeated container.

  Raises:
    ConfigError: unknown field (with suggestions), index out of range, or a
      malformed path.
  """
  segments = parse_field_path(path)
  parent, walked = _descend(message, segments, create=False)
  name, index = segments[-1]
  field = _field(parent.DESCRIPTOR, name, walked)
  value = getattr(parent, name)
  leaf_path = _join(walked, name)
  if index is None:
    return value
  if not field.is_repeated:
    raise _error(leaf_path, "is not a repeated field; drop the [%d]" % index)
  return value[_index(value, index, leaf_path, allow_append=False)]


def has_field_by_path(message: message_lib.Message, path: str) -> bool:
  """Whether the field a path names is present (set) in `message`.

  Args:
    message: the message the path starts from.
    path: dotted field path.

  Returns:
    False when any message on the way is absent, an index is out of range, or
    the leaf is unset (an empty repeated field counts as unset).

  Raises:
    ConfigError: the path names a field the schema does not have.
  """
  segments = parse_field_path(path)
  current = message
  walked = ""
  for position, (name, index) in enumerate(segments):
    field = _field(current.DESCRIPTOR, name, walked)
    last = position == len(segments) - 1
    walked = _join(walked, name)
    if field.is_repeated:
      container = getattr(current, name)
      if index is None:
        if last:
          return len(container) > 0
        if len(container) != 1:
          return False
        index = 0
      if not -len(container) <= index < len(container):
        return False
      if last:
        return True
      current = container[index]
    else:
      if field.has_presence and not current.HasField(name):
        return False
      if last:
        return True
      if field.cpp_type != _FD.CPPTYPE_MESSAGE:
        raise _error(walked, "is a scalar field; it has no field '%s'" %
                     segments[position + 1][0])
      current = getattr(current, name)
  return True


def set_field_by_path(message: message_lib.Message, path: str,
                      value: Any) -> None:
  """Sets the field a path names, creating absent parent messages.

  - Scalar field: `value` converted to the field's type (strings as a shell
    gives them are accepted: '4', '1e-3', 'true', 'RGB').
  - Repeated field without an index: replaced by `value`, a list/tuple or a
    '[a, b]' string (a single value becomes a one-element list).
  - Repeated field with an index: that element; index == length appends.
  - Message field: replaced by `value`, a message of the same type, a dict
    (JSON names), or a text proto ('{ learning_rate: 0.1 }' or without
    braces); an empty text marks the message present.

  Args:
    message: the message the path starts from (modified in place).
    path: dotted field path.
    value: the new value.

  Raises:
    ConfigError: unknown field (with suggestions), malformed path, index out
      of range, or a value that does not fit the field's type.
  """
  segments = parse_field_path(path)
  parent, walked = _descend(message, segments, create=True)
  name, index = segments[-1]
  field = _field(parent.DESCRIPTOR, name, walked)
  leaf_path = _join(walked, name)
  is_message = field.cpp_type == _FD.CPPTYPE_MESSAGE
  if not field.is_repeated:
    if index is not None:
      raise _error(leaf_path, "is not a repeated field; drop the [%d]" % index)
    if is_message:
      target = getattr(parent, name)
      target.CopyFrom(to_message(field, value, leaf_path))
      target.SetInParent()
    else:
      setattr(parent, name, convert_scalar(field, value, leaf_path))
    return
  container = getattr(parent, name)
  if index is None:
    items = [to_message(field, v, "%s[%d]" % (leaf_path, i)) if is_message
             else convert_scalar(field, v, "%s[%d]" % (leaf_path, i))
             for i, v in enumerate(split_list(value))]
    del container[:]
    if is_message:
      for item in items:
        container.add().CopyFrom(item)
    else:
      container.extend(items)
    return
  i = _index(container, index, leaf_path, allow_append=True)
  element_path = "%s[%d]" % (leaf_path, i)
  if is_message:
    item = to_message(field, value, element_path)
    target = container[i] if i < len(container) else container.add()
    target.CopyFrom(item)
  else:
    item = convert_scalar(field, value, element_path)
    if i < len(container):
      container[i] = item
    else:
      container.append(item)


def split_list(value: Any) -> list:
  """A list value as Python or shell gives it: [..], (..), '[a, b]', 'a'.

  Args:
    value: list/tuple (returned as a list), a string '[a, b, "c,d"]' (split
      on commas outside quotes; '[]' is empty), or any single value (a
      one-element list).

  Returns:
    list of the items.
  """
  if isinstance(value, (list, tuple)):
    return list(value)
  if isinstance(value, str):
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
      inner = text[1:-1].strip()
      if not inner:
        return []
      return _split_outside_quotes(inner)
  return [value]


def _split_outside_quotes(text: str) -> list:
  """Splits on commas that are not inside '...' or "..." (with \\ escapes)."""
  items, current, quote, escaped = [], [], None, False
  for char in text:
    current.append(char)
    if escaped:
      escaped = False
    elif quote:
      if char == "\\":
        escaped = True
      elif char == quote:
        quote = None
    elif char in "\"'":
      quote = char
    elif char == ",":
      current.pop()
      items.append("".join(current).strip())
      current = []
  items.append("".join(current).strip())
  return items


def _unquote(text: str) -> str:
  text = text.strip()
  if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
    return text[1:-1]
  return text


def convert_scalar(field: descriptor_lib.FieldDescriptor, value: Any,
                   path: str) -> Any:
  """Converts a Python or command-line value to a scalar field's type.

  Args:
    field: descriptor of a non-message field.
    value: the value; strings are parsed ('12', '1e-3', 'true', 'RGB').
    path: field path for error messages.

  Returns:
    The converted value (enums as their number).

  Raises:
    ConfigError: the value does not fit; the message names path, type and
      value (and valid enum names).
  """
  cpp = field.cpp_type
  got = "got %r" % (value,)
  if cpp == _FD.CPPTYPE_ENUM:
    return _convert_enum(field, value, path)
  if cpp == _FD.CPPTYPE_BOOL:
    if isinstance(value, bool):
      return value
    if isinstance(value, int) and value in (0, 1):
      return bool(value)
    if isinstance(value, str):
      word = _unquote(value).lower()
      if word in _TRUE_WORDS:
        return True
      if word in _FALSE_WORDS:
        return False
    raise _error(path, "expects true or false, %s" % got)
  if cpp in _INT_RANGES:
    type_name, low, high = _INT_RANGES[cpp]
    number = _to_int(value)
    if number is None:
      raise _error(path, "expects an integer (%s), %s" % (type_name, got))
    if not low <= number <= high:
      raise _error(path, "%d is out of range for %s [%d, %d]" % (
          number, type_name, low, high))
    return number
  if cpp in (_FD.CPPTYPE_FLOAT, _FD.CPPTYPE_DOUBLE):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
      return float(value)
    if isinstance(value, str):
      try:
        return float(_unquote(value))
      except ValueError:
        pass
    raise _error(path, "expects a number, %s" % got)
  if field.type == _FD.TYPE_BYTES:
    if isinstance(value, bytes):
      return value
    if isinstance(value, str):
      return _unquote(value).encode("utf-8")
    raise _error(path, "expects bytes, %s" % got)
  if isinstance(value, str):
    return _unquote(value)
  raise _error(path, "expects a string, %s" % got)


def _to_int(value: Any) -> Optional[int]:
  """An integral value of int, float or string type, else None."""
  if isinstance(value, bool):
    return None
  if isinstance(value, int):
    return value
  if isinstance(value, float):
    return int(value) if value.is_integer() else None
  if isinstance(value, str):
    text = _unquote(value)
    try:
      return int(text)
    except ValueError:
      pass
    try:
      number = float(text)
    except ValueError:
      return None
    return int(number) if number.is_integer() else None
  return None


def _convert_enum(field: descriptor_lib.FieldDescriptor, value: Any,
                  path: str) -> int:
  """An enum value given by name or number, checked against the enum."""
  enum_type = field.enum_type
  names = list(enum_type.values_by_name)
  if isinstance(value, str):
    text = _unquote(value)
    if text in enum_type.values_by_name:
      return enum_type.values_by_name[text].number
    number = _to_int(text)
    if number is None:
      suggestions = config_errors.closest_names(text, names)
      reason = config_errors.with_suggestions(
          "unknown value '%s' for enum %s (valid: %s)" % (
              text, enum_type.name, ", ".join(names)), suggestions)
      raise _error(path, reason, suggestions)
  elif isinstance(value, int) and not isinstance(value, bool):
    number = value
  else:
    raise _error(path, "expects a name of enum %s (valid: %s), got %r" % (
        enum_type.name, ", ".join(names), value))
  if number not in enum_type.values_by_number:
    raise _error(path, "%d is not a value of enum %s (valid: %s)" % (
        number, enum_type.name, ", ".join(
            "%s=%d" % (v.name, v.number) for v in enum_type.values)))
  return number


def to_message(field: descriptor_lib.FieldDescriptor, value: Any,
               path: str) -> message_lib.Message:
  """Converts a message, dict or text proto to a message field's type.

  Args:
    field: descriptor of a message field.
    value: a message of the field's type, a dict (JSON field names), or a
      text proto with or without surrounding braces.
    path: field path for error messages.

  Returns:
    A new message of the field's type.

  Raises:
    ConfigError: the value does not describe such a message.
  """
  message_class = field.message_type._concrete_class  # pylint: disable=protected-access
  if isinstance(value, message_lib.Message):
    if value.DESCRIPTOR.full_name != field.message_type.full_name:
      raise _error(path, "expects a %s message, got a %s" % (
          field.message_type.name, value.DESCRIPTOR.name))
    result = message_class()
    result.CopyFrom(value)
    return result
  if isinstance(value, dict):
    try:
      return json_format.ParseDict(value, message_class())
    except json_format.ParseError as e:
      raise _error(path, "cannot read %s from a dict: %s" % (
          field.message_type.name, e)) from None
  if isinstance(value, str):
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
      text = text[1:-1]
    return config_parsing.parse_text(text, message_class,
                                     path="<value of %s>" % path)
  raise _error(path, "expects a %s message (a text proto, a dict or a "
               "message), got %r" % (field.message_type.name, value))
