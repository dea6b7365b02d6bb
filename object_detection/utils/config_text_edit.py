"""Edits protobuf text format without disturbing what it does not change.

`set_field_text(text, message, path)` rewrites `text` so that the field named
by `path` holds the value it has in `message`, and leaves every other byte
alone: comments, blank lines, field order, list style (`[a, b]` or one line
per value), quote characters and delimiters (`{}` or `<>`) of untouched
fields stay as they were. The caller makes the change on a parsed message
first (for pipeline configs, `config_util.set_field_by_path`) and then asks
this module to carry exactly that change over into the text; it should parse
the result and compare it with the message (config_tool does).

How an edit lands:
- a field that exists is changed where it stands (its value tokens only);
- a field that is absent is appended at the end of its parent block, indented
  like its siblings (or one level deeper than the parent), creating missing
  parent blocks on the way;
- a repeated field set as a whole replaces all its occurrences, written where
  the first one stood; `name[i]` edits one value;
- setting a member of a oneof removes the text of the other members.

Paths are those of `config_paths` (dotted field names with optional indices
into repeated fields: `model.faster_rcnn.num_classes`,
`eval_input_reader[0].shuffle`) and resolve the same way: a repeated message
on the way may omit its index when it holds one element.
"""

import math
import struct
from typing import List, Optional, Sequence, Tuple

from google.protobuf import descriptor as descriptor_lib
from google.protobuf import message as message_lib
from google.protobuf import message_factory
from google.protobuf import text_encoding

from object_detection.utils import config_paths
from object_detection.utils import text_proto_spans

_FD = descriptor_lib.FieldDescriptor
_Block = text_proto_spans.Block
_Entry = text_proto_spans.Entry
_Value = text_proto_spans.Value


class TextEditError(ValueError):
  """The text or the path cannot be edited as asked."""


# ------------------------------------------------------------- value text


def _float32_text(value: float) -> str:
  """Shortest decimal text that reads back as the same float32."""
  if math.isnan(value) or math.isinf(value):
    return _special_float_text(value)
  packed = struct.pack("<f", value)
  for digits in range(1, 10):
    text = "%.*g" % (digits, value)
    if struct.pack("<f", float(text)) == packed:
      break
  return text if any(c in text for c in ".en") else text + ".0"


def _special_float_text(value: float) -> str:
  if math.isnan(value):
    return "nan"
  return "inf" if value > 0 else "-inf"


def format_scalar(field: _FD, value, quote: str = '"') -> str:
  """Text-format spelling of one scalar value of `field`.

  Args:
    field: the field's descriptor (not a message field).
    value: the value as the Python protobuf API holds it.
    quote: the quote character for strings and bytes.

  Returns:
    e.g. `0.001`, `true`, `FAN_AVG`, `"a \\"b\\""`.
  """
  if field.type == _FD.TYPE_ENUM:
    enum_value = field.enum_type.values_by_number.get(value)
    return enum_value.name if enum_value is not None else str(value)
  if field.type == _FD.TYPE_BOOL:
    return "true" if value else "false"
  if field.type == _FD.TYPE_FLOAT:
    return _float32_text(value)
  if field.type == _FD.TYPE_DOUBLE:
    return repr(value) if math.isfinite(value) else _special_float_text(value)
  if field.type in (_FD.TYPE_STRING, _FD.TYPE_BYTES):
    escaped = text_encoding.CEscape(
        value, as_utf8=field.type == _FD.TYPE_STRING)
    return quote + escaped + quote
  return str(value)


def _repeated(field: _FD) -> bool:
  if hasattr(field, "is_repeated"):  # protobuf >= 5.28; `label` is gone in 7.
    return field.is_repeated
  return field.label == _FD.LABEL_REPEATED


def message_lines(message: message_lib.Message,
                  depth: int = 0) -> List[Tuple[int, str]]:
  """Text-format lines of a message's set fields, in field-number order.

  Repeated scalars are written as one list (`scales: [0.5, 1.0]`), messages
  as `name {` .. `}` blocks, map fields as one `{key value}` block per key.

  Args:
    message: the message to write.
    depth: nesting depth of its fields.

  Returns:
    (depth, line text without indentation) pairs.
  """
  lines = []
  for field, value in message.ListFields():
    if field.message_type is None:
      lines.append((depth, _list_line(field, value) if _repeated(field)
                     else _scalar_line(field, value)))
      continue
    if field.message_type.GetOptions().map_entry:  # One entry per key.
      value = [_map_entry(field, key, value[key]) for key in sorted(value)]
    for item in value if _repeated(field) else [value]:
      lines.append((depth, field.name + " {"))
      lines.extend(message_lines(item, depth + 1))
      lines.append((depth, "}"))
  return lines


def _map_entry(field: _FD, key, value) -> message_lib.Message:
  """The `{key: .. value: ..}` message of one map entry."""
  entry = message_factory.GetMessageClass(field.message_type)()
  entry.key = key
  if isinstance(value, message_lib.Message):
    entry.value.CopyFrom(value)
  else:
    entry.value = value
  return entry


def _scalar_line(field: _FD, value) -> str:
  """`name: value` for one value of a scalar field."""
  return "%s: %s" % (field.name, format_scalar(field, value))


def _list_line(field: _FD, values: Sequence) -> str:
  """`name: [v1, v2]` for the values of a repeated scalar field."""
  return "%s: [%s]" % (field.name, ", ".join(
      format_scalar(field, v) for v in values))


# ----------------------------------------------------------------- editing


class _Edit:
  """Splices computed against one parse of the text, applied together."""

  def __init__(self, text: str):
    self.text = text
    try:
      self.root = text_proto_spans.parse(text)
    except text_proto_spans.TextSyntaxError as e:
      raise TextEditError(str(e)) from None
    self.unit = self._indent_unit(self.root) or "  "
    self.newline = "\r\n" if "\r\n" in text else "\n"
    self.splices: List[Tuple[int, int, str]] = []

  def apply(self) -> str:
    text = self.text
    for start, end, new in sorted(self.splices, reverse=True):
      text = text[:start] + new + text[end:]
    return text

  # Layout.
  def line_start(self, pos: int) -> int:
    return self.text.rfind("\n", 0, pos) + 1

  def line_end(self, pos: int) -> int:
    """Offset of the line terminator (`\\n` or `\\r\\n`) at or after pos."""
    end = self.text.find("\n", pos)
    if end < 0:
      return len(self.text)
    return end - 1 if end > pos and self.text[end - 1] == "\r" else end

  def next_line(self, pos: int) -> int:
    """Offset of the start of the line after the one holding pos."""
    end = self.text.find("\n", pos)
    return len(self.text) if end < 0 else end + 1

  def starts_line(self, pos: int) -> bool:
    return not self.text[self.line_start(pos):pos].strip()

  def line_indent(self, pos: int) -> str:
    line = self.text[self.line_start(pos):self.line_end(pos)]
    return line[:len(line) - len(line.lstrip(" \t"))]

  def _indent_unit(self, block: _Block) -> Optional[str]:
    for entry in block.fields:
      for value in entry.values:
        if value.block is None:
          continue
        outer = self.line_indent(value.start)
        for child in value.block.fields:
          inner = self.text[self.line_start(child.start):child.start]
          if (self.starts_line(child.start) and inner.startswith(outer) and
              len(inner) > len(outer)):
            return inner[len(outer):]
        found = self._indent_unit(value.block)
        if found:
          return found
    return None

  # Primitive edits.
  def replace(self, start: int, end: int, new: str) -> None:
    self.splices.append((start, end, new))

  def remove(self, entry: _Entry) -> None:
    start, end = entry.start, entry.end
    line_start, line_end = self.line_start(start), self.line_end(end)
    if self.starts_line(start) and not self.text[end:line_end].strip():
      start, end = line_start, self.next_line(end)
    else:
      while end < len(self.text) and self.text[end] in " \t":
        end += 1
    self.replace(start, end, "")

  def insert(self, block: _Block, lines: Sequence[Tuple[int, str]]) -> None:
    """Appends lines at the end of a block, below its last field."""
    is_root = block.open_end == 0
    if not block.fields:
      self._insert_into_empty(block, lines, is_root)
      return
    last = block.fields[-1]
    indent = next((self.text[self.line_start(f.start):f.start]
                   for f in reversed(block.fields)
                   if self.starts_line(f.start)), None)
    if indent is None:
      indent = ("" if is_root else
                self.line_indent(block.open_end - 1) + self.unit)
    if "\n" not in self.text[last.end:block.close_start]:
      self.replace(last.end, last.end,
                   " " + " ".join(text for _, text in lines))
      return
    position = self.line_end(last.end)
    self.replace(position, position, self.newline + self.render(lines, indent))

  def _insert_into_empty(self, block: _Block, lines, is_root: bool) -> None:
    if is_root:
      end = len(self.text)
      lead = "" if not self.text or self.text.endswith("\n") else self.newline
      self.replace(end, end, lead + self.render(lines, "") + self.newline)
      return
    outer = self.line_indent(block.open_end - 1)
    body = self.render(lines, outer + self.unit)
    if "\n" in self.text[block.open_end:block.close_start]:
      position = self.line_end(block.open_end)
      self.replace(position, position, self.newline + body)
    elif not self.starts_line(block.owner_start):  # Inside a one-liner.
      self.replace(block.open_end, block.close_start,
                   " %s " % " ".join(text for _, text in lines))
    else:
      self.replace(block.open_end, block.close_start,
                   self.newline + body + self.newline + outer)

  def render(self, lines: Sequence[Tuple[int, str]], indent: str) -> str:
    return self.newline.join(
        indent + self.unit * depth + text for depth, text in lines)

  def replace_block_body(self, value: _Value, message) -> None:
    lines = message_lines(message)
    if not lines:
      self.replace(value.block.open_end, value.block.close_start, "")
      return
    outer = self.line_indent(value.start)
    body = self.render(lines, outer + self.unit)
    self.replace(value.block.open_end, value.block.close_start,
                 self.newline + body + self.newline + outer)


Segment = Tuple[str, Optional[int]]  # (field name, index or None).


def _field_of(message, name: str, path: str) -> _FD:
  field = message.DESCRIPTOR.fields_by_name.get(name)
  if field is None:
    raise TextEditError("%s: %s has no field %r" % (
        path, message.DESCRIPTOR.name, name))
  return field


def _index(name: str, index: Optional[int], size: int, path: str) -> int:
  """Resolves an index against the (already edited) message's field."""
  if index is None:
    if size == 1:
      return 0
    raise TextEditError("%s: %s has %d elements; pick one, e.g. %s[0]" %
                        (path, name, size, name))
  resolved = index + size if index < 0 else index
  if not 0 <= resolved < size:
    raise TextEditError("%s: index %d is out of range (%s has %d elements)" %
                        (path, index, name, size))
  return resolved


def _remove_other_oneof_members(edit: _Edit, block: _Block, message,
                                field: _FD) -> bool:
  oneof = field.containing_oneof
  if oneof is None:
    return False
  chosen = message.WhichOneof(oneof.name)
  stale = [e for e in block.fields
           if e.name != chosen and e.name in {f.name for f in oneof.fields}]
  for entry in stale:
    edit.remove(entry)
  return bool(stale)


def set_field_text(text: str, message: message_lib.Message, path: str) -> str:
  """Rewrites the field at `path` in `text` to its value in `message`.

  Args:
    text: protobuf text format of a message of the same type as `message`,
      differing from it at most in the field named by `path`.
    message: the message holding the wanted value.
    path: field path, e.g. `model.faster_rcnn.num_classes`,
      `eval_input_reader[0].shuffle`, `...grid_anchor_generator.scales[1]`.

  Returns:
    The edited text; bytes outside the edited field are unchanged.

  Raises:
    TextEditError: the text does not tokenize, the path names no field, or an
      index is out of range.
  """
  try:
    segments = config_paths.parse_field_path(path)
  except ValueError as e:
    raise TextEditError(str(e)) from None
  # Stale oneof members are removed first, one level per pass; each pass
  # plans against a fresh parse so that splices never overlap.
  for _ in range(len(segments) + 1):
    edit = _Edit(text)
    done = _edit_path(edit, message, segments, path)
    text = edit.apply()
    if done:
      return text
  raise TextEditError("%s: could not resolve the oneof members on the path"
                      % path)


def _edit_path(edit: _Edit, message, segments: Sequence[Segment],
               path: str) -> bool:
  """Plans the edit; False when only oneof cleanup was planned so far."""
  block = edit.root
  for depth, (name, index) in enumerate(segments):
    field = _field_of(message, name, path)
    if _remove_other_oneof_members(edit, block, message, field):
      return False
    entries = [e for e in block.fields if e.name == field.name]
    if depth == len(segments) - 1:
      _edit_last(edit, block, entries, message, field, index, path)
      return True
    if field.message_type is None:
      raise TextEditError("%s: %s is not a message" % (path, name))
    if _repeated(field):
      items = getattr(message, name)
      index = _index(name, index, len(items), path)
      values = [v for e in entries for v in e.values]
      message = items[index]
      if index >= len(values):  # Appended by the caller.
        edit.insert(block, _block_lines(name, message))
        return True
      block = values[index].block
    else:
      if not message.HasField(name):
        for entry in entries:
          edit.remove(entry)
        return True
      message = getattr(message, name)
      if not entries:
        edit.insert(block, _block_lines(name, message))
        return True
      block = entries[-1].values[-1].block  # Duplicate blocks merge.
  return True


def _block_lines(name: str, message) -> List[Tuple[int, str]]:
  return [(0, name + " {")] + message_lines(message, 1) + [(0, "}")]


def _edit_last(edit: _Edit, block: _Block, entries: List[_Entry], message,
               field: _FD, index: Optional[int], path: str) -> None:
  """Plans the edit of the path's last field, inside `block`."""
  if _repeated(field):
    items = list(getattr(message, field.name))
    if index is None:
      _replace_all(edit, block, entries, field, items)
      return
    values = [v for e in entries for v in e.values]
    index = _index(field.name, index, len(items), path)
    if index >= len(values):  # Appended by the caller.
      lines = ([(0, _scalar_line(field, items[index]))]
               if field.message_type is None else
               _block_lines(field.name, items[index]))
      edit.insert(block, lines)
    else:
      _replace_value(edit, values[index], field, items[index])
    return
  if not message.HasField(field.name):
    for entry in entries:
      edit.remove(entry)
    return
  value = getattr(message, field.name)
  if not entries:
    edit.insert(block, [(0, _scalar_line(field, value))]
                if field.message_type is None else
                _block_lines(field.name, value))
    return
  for entry in entries[:-1]:
    edit.remove(entry)
  _replace_value(edit, entries[-1].values[-1], field, value)


def _replace_value(edit: _Edit, value: _Value, field: _FD, new) -> None:
  if field.message_type is not None:
    edit.replace_block_body(value, new)
    return
  quote = edit.text[value.start]
  edit.replace(value.start, value.end, format_scalar(
      field, new, quote if quote in "'\"" else '"'))


def _replace_all(edit: _Edit, block: _Block, entries: List[_Entry],
                 field: _FD, items: list) -> None:
  """Replaces every occurrence of a repeated field by `items`.

  The new values stand where the first occurrence stood, in its style: a
  `[a, b]` list, or one `name: value` line per value.
  """
  if entries:
    as_list = (entries[0].list_span is not None or
               not edit.starts_line(entries[0].start))
  else:
    as_list = len(items) > 1
  if field.message_type is not None:
    lines = [l for item in items for l in _block_lines(field.name, item)]
  elif as_list and items:
    lines = [(0, _list_line(field, items))]
  else:
    lines = [(0, _scalar_line(field, item)) for item in items]
  for entry in entries[1:]:
    edit.remove(entry)
  if not entries:
    if lines:
      edit.insert(block, lines)
  elif not lines:
    edit.remove(entries[0])
  else:
    first = entries[0]
    indent = edit.text[edit.line_start(first.start):first.start]
    indent = indent if edit.starts_line(first.start) else ""
    edit.replace(first.start, first.end,
                 edit.render(lines, indent)[len(indent):])
