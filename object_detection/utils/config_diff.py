"""Field-level differences between two messages of the same type, by path.

Differences are reported at the leaves: a scalar field that is set in only
one message is `added` or `removed`, one set in both to different values is
`changed`. A repeated scalar field is one leaf (its whole list); repeated
messages are compared element by element (`eval_input_reader[0].shuffle`),
extra elements reported as added or removed; map fields entry by key
(`keypoint_label_to_std["nose"]`). Presence counts (proto2): a
field set to its default in one message and unset in the other differs.
Values are written as in text format (`"a"`, `FAN_AVG`, `[0.5, 1.0]`).

    - eval_config.num_examples: 8000
    + train_config.num_steps: 100
    ~ train_config.batch_size: 24 -> 4
"""

import dataclasses
from typing import Iterator, List, Optional

from google.protobuf import descriptor as descriptor_lib
from google.protobuf import message as message_lib

from object_detection.utils import config_text_edit

_MARKS = {"added": "+", "removed": "-", "changed": "~"}


@dataclasses.dataclass(frozen=True)
class Difference:
  """One differing leaf.

  Attributes:
    kind: 'added' (only in the second message), 'removed' (only in the
      first) or 'changed'.
    path: field path, e.g. `model.faster_rcnn.num_classes`.
    old: text-format value in the first message, None when added.
    new: text-format value in the second message, None when removed.
  """
  kind: str
  path: str
  old: Optional[str]
  new: Optional[str]

  def __str__(self) -> str:
    if self.kind == "changed":
      return "~ %s: %s -> %s" % (self.path, self.old, self.new)
    value = self.new if self.kind == "added" else self.old
    return "%s %s: %s" % (_MARKS[self.kind], self.path, value)


def diff_messages(first: message_lib.Message,
                  second: message_lib.Message,
                  prefix: str = "") -> List[Difference]:
  """Lists the leaves where two messages differ, in field-number order.

  Args:
    first: the old message.
    second: the new message, of the same type.
    prefix: path prepended to every reported path (no trailing dot).

  Returns:
    The differences; empty when the messages are equal.

  Raises:
    TypeError: the messages are of different types.
  """
  if first.DESCRIPTOR.full_name != second.DESCRIPTOR.full_name:
    raise TypeError("cannot diff %s against %s" % (
        first.DESCRIPTOR.full_name, second.DESCRIPTOR.full_name))
  return list(_diff(first, second, prefix))


def _join(prefix: str, name: str) -> str:
  return prefix + "." + name if prefix else name


def _repeated(field: descriptor_lib.FieldDescriptor) -> bool:
  if hasattr(field, "is_repeated"):
    return field.is_repeated
  return field.label == descriptor_lib.FieldDescriptor.LABEL_REPEATED


def _value_text(field: descriptor_lib.FieldDescriptor, value) -> str:
  if _repeated(field):
    return "[%s]" % ", ".join(
        config_text_edit.format_scalar(field, v) for v in value)
  return config_text_edit.format_scalar(field, value)


def _diff(first, second, prefix: str) -> Iterator[Difference]:
  fields = {f.number: f for f, _ in first.ListFields()}
  fields.update({f.number: f for f, _ in second.ListFields()})
  for number in sorted(fields):
    field = fields[number]
    path = _join(prefix, field.name)
    if _is_map(field):
      yield from _diff_maps(field, getattr(first, field.name),
                            getattr(second, field.name), path)
      continue
    if field.message_type is not None and _repeated(field):
      yield from _diff_repeated_messages(getattr(first, field.name),
                                         getattr(second, field.name), path)
      continue
    in_first, in_second = _present(first, field), _present(second, field)
    if field.message_type is not None:
      if in_first and in_second:
        yield from _diff(getattr(first, field.name),
                         getattr(second, field.name), path)
      elif in_first:
        yield from _leaves(getattr(first, field.name), path, "removed")
      else:
        yield from _leaves(getattr(second, field.name), path, "added")
      continue
    old = _value_text(field, getattr(first, field.name)) if in_first else None
    new = _value_text(field, getattr(second, field.name)) if in_second else None
    if old != new:
      kind = "changed" if in_first and in_second else (
          "removed" if in_first else "added")
      yield Difference(kind, path, old, new)


def _is_map(field: descriptor_lib.FieldDescriptor) -> bool:
  return (field.message_type is not None and
          field.message_type.GetOptions().map_entry)


def _diff_maps(field, first, second, path: str) -> Iterator[Difference]:
  """Map fields, entry by key: `path["key"]` or `path[3]`."""
  key_field = field.message_type.fields_by_name["key"]
  value_field = field.message_type.fields_by_name["value"]
  for key in sorted(set(first) | set(second)):
    item_path = "%s[%s]" % (
        path, config_text_edit.format_scalar(key_field, key))
    if value_field.message_type is not None:
      if key not in second:
        yield from _leaves(first[key], item_path, "removed")
      elif key not in first:
        yield from _leaves(second[key], item_path, "added")
      else:
        yield from _diff(first[key], second[key], item_path)
      continue
    old = (config_text_edit.format_scalar(value_field, first[key])
           if key in first else None)
    new = (config_text_edit.format_scalar(value_field, second[key])
           if key in second else None)
    if old != new:
      kind = "changed" if old is not None and new is not None else (
          "removed" if new is None else "added")
      yield Difference(kind, item_path, old, new)


def _present(message, field) -> bool:
  if _repeated(field):
    return len(getattr(message, field.name)) > 0
  return message.HasField(field.name)


def _diff_repeated_messages(first, second, path: str) -> Iterator[Difference]:
  for index in range(max(len(first), len(second))):
    item_path = "%s[%d]" % (path, index)
    if index >= len(second):
      yield from _leaves(first[index], item_path, "removed")
    elif index >= len(first):
      yield from _leaves(second[index], item_path, "added")
    else:
      yield from _diff(first[index], second[index], item_path)


def _leaves(message, path: str, kind: str) -> Iterator[Difference]:
  """Every set leaf of a message present on one side only."""
  fields = message.ListFields()
  if not fields:
    text = "{}"
    yield Difference(kind, path, text if kind == "removed" else None,
                     text if kind == "added" else None)
    return
  for field, value in fields:
    field_path = _join(path, field.name)
    if _is_map(field):
      pair = ({}, value) if kind == "added" else (value, {})
      yield from _diff_maps(field, pair[0], pair[1], field_path)
    elif field.message_type is None:
      text = _value_text(field, value)
      yield Difference(kind, field_path, text if kind == "removed" else None,
                       text if kind == "added" else None)
    elif _repeated(field):
      for index, item in enumerate(value):
        yield from _leaves(item, "%s[%d]" % (field_path, index), kind)
    else:
      yield from _leaves(value, field_path, kind)
