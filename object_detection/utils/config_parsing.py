"""Text-proto parsing for configs: fast, and with errors that say where.

`merge_text(text, message, path)` merges a protobuf text-format document into
`message` with the semantics of `google.protobuf.text_format.Merge` (repeated
fields append, a repeated singular field keeps its last value, sub-messages
merge), and raises `ConfigError` (file:line:column, caret, enclosing field
path, suggestions) instead of `text_format.ParseError`.

protobuf's text parser tokenises in Python, one method call per token, which
costs about 4 ms for a large pipeline.config. The common subset of the format
that config files use (identifiers, decimal numbers, enum names, booleans,
strings without escapes, `{}`/`<>` blocks, `[a, b]` lists, comments) is
therefore parsed here from one regular-expression tokenisation into a fresh
message. Anything outside that subset, and every error, falls back to
`text_format.Merge` on the untouched target, which stays the reference for
what is accepted and what an error says.
"""

import re
from google.protobuf import descriptor as descriptor_lib
from google.protobuf import message as message_lib
from google.protobuf import text_format

from object_detection.utils import config_errors

_FD = descriptor_lib.FieldDescriptor

# Whitespace, comments, punctuation, simple strings, words; the last
# alternative catches a quote that does not open a simple string.
_TOKEN = re.compile(
    r"""[ \t\r\n]+|\#[^\n]*|[{}<>\[\]:,;]|"[^"\\\n]*"|'[^'\\\n]*'"""
    r"""|[^\s{}<>\[\]:,;"'\#]+|.""", re.DOTALL)
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(
    r"-?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_TRUE = frozenset(("true", "t", "1", "True"))
_FALSE = frozenset(("false", "f", "0", "False"))

_INT_RANGES = {
    _FD.CPPTYPE_INT32: (-2**31, 2**31 - 1),
    _FD.CPPTYPE_INT64: (-2**63, 2**63 - 1),
    _FD.CPPTYPE_UINT32: (0, 2**32 - 1),
    _FD.CPPTYPE_UINT64: (0, 2**64 - 1),
}

# text_format's default nesting limit.
_MAX_DEPTH = 100

# Field kinds of the fast path.
(_K_MESSAGE, _K_MAP, _K_INT, _K_FLOAT, _K_BOOL, _K_STRING, _K_BYTES,
 _K_ENUM) = range(8)


class _Unsupported(Exception):
  """The text leaves the fast path's subset (or is wrong): use text_format."""


_field_cache = {}


def _field_info(descriptor: descriptor_lib.Descriptor, name: str) -> tuple:
  """(name, kind, is_repeated, extra) of a field, cached per message type.

  Oneof members need no care: setting one clears the others, as in
  text_format.Merge.
  """
  key = (descriptor.full_name, name)
  info = _field_cache.get(key)
  if info is None:
    field = descriptor.fields_by_name.get(name)
    if field is None or field.is_extension:
      raise _Unsupported()
    cpp = field.cpp_type
    extra = None
    if cpp == _FD.CPPTYPE_MESSAGE:
      kind = _K_MESSAGE
      if field.message_type.GetOptions().map_entry:
        kind = _K_MAP
        extra = (field.message_type.fields_by_name["value"].cpp_type ==
                 _FD.CPPTYPE_MESSAGE)
    elif cpp in _INT_RANGES:
      kind, extra = _K_INT, _INT_RANGES[cpp]
    elif cpp in (_FD.CPPTYPE_FLOAT, _FD.CPPTYPE_DOUBLE):
      kind = _K_FLOAT
    elif cpp == _FD.CPPTYPE_BOOL:
      kind = _K_BOOL
    elif cpp == _FD.CPPTYPE_ENUM:
      if not field.enum_type.is_closed:
        raise _Unsupported()
      kind, extra = _K_ENUM, field.enum_type
    elif field.type == _FD.TYPE_BYTES:
      kind = _K_BYTES
    else:
      kind = _K_STRING
    info = (field.name, kind, field.is_repeated, extra)
    _field_cache[key] = info
  return info


def _scalar(kind: int, extra, tokens: list, i: int) -> tuple:
  """Parses one scalar value at tokens[i]; returns (value, next index)."""
  token = tokens[i]
  if kind == _K_INT:
    if not _INT.match(token):
      raise _Unsupported()
    value = int(token)
    low, high = extra
    if not low <= value <= high:
      raise _Unsupported()
    return value, i + 1
  if kind == _K_FLOAT:
    if not _FLOAT.match(token):
      raise _Unsupported()
    return float(token), i + 1
  if kind == _K_BOOL:
    if token in _TRUE:
      return True, i + 1
    if token in _FALSE:
      return False, i + 1
    raise _Unsupported()
  if kind == _K_ENUM:
    if _INT.match(token):
      value = extra.values_by_number.get(int(token))
    else:
      value = extra.values_by_name.get(token)
    if value is None:
      raise _Unsupported()
    return value.number, i + 1
  # String or bytes: one or more adjacent simple quoted strings.
  parts = []
  while i < len(tokens) and tokens[i][0] in "\"'":
    if len(tokens[i]) < 2:
      raise _Unsupported()
    parts.append(tokens[i][1:-1])
    i += 1
  if not parts:
    raise _Unsupported()
  value = "".join(parts)
  return (value.encode("utf-8") if kind == _K_BYTES else value), i


def _significant_tokens(text: str) -> list:
  """The tokens of `text` without whitespace and comments."""
  return [t for t in _TOKEN.findall(text) if t[0] not in " \t\r\n#"]


def _fast_parse(text: str, message: message_lib.Message) -> None:
  """Parses `text` into the empty `message`; raises _Unsupported on doubt."""
  tokens = _significant_tokens(text)
  count = len(tokens)
  # Open blocks: (enclosing message, its closing token, the map a block is
  # an entry of or None, whether that map's values are messages).
  stack = []
  current, closer = message, None
  descriptor = message.DESCRIPTOR
  i = 0
  while i < count:
    token = tokens[i]
    if token == closer:
      entry = current
      current, closer, map_container, message_values = stack.pop()
      if map_container is not None:
        if message_values:
          map_container[entry.key].CopyFrom(entry.value)
        else:
          map_container[entry.key] = entry.value
      descriptor = current.DESCRIPTOR
      i += 1
      if i < count and tokens[i] in (",", ";"):
        i += 1
      continue
    name, kind, repeated, extra = _field_info(descriptor, token)
    i += 1
    if i >= count:
      raise _Unsupported()
    if kind == _K_MESSAGE or kind == _K_MAP:
      if tokens[i] == ":":
        i += 1
      opener = tokens[i] if i < count else ""
      if opener not in ("{", "<"):
        raise _Unsupported()
      map_container = None
      if kind == _K_MAP:
        map_container = getattr(current, name)
        child = map_container.GetEntryClass()()
      elif repeated:
        child = getattr(current, name).add()
      else:
        child = getattr(current, name)
        child.SetInParent()
      stack.append((current, closer, map_container, extra))
      if len(stack) > _MAX_DEPTH:
        raise _Unsupported()
      current, closer = child, "}" if opener == "{" else ">"
      descriptor = current.DESCRIPTOR
      i += 1
      continue
    if tokens[i] != ":":
      raise _Unsupported()
    i += 1
    if i < count and tokens[i] == "[":
      if not repeated:
        raise _Unsupported()
      i += 1
      values = []
      if i < count and tokens[i] == "]":
        i += 1
      else:
        while True:
          if i >= count:
            raise _Unsupported()
          value, i = _scalar(kind, extra, tokens, i)
          values.append(value)
          if i < count and tokens[i] == "]":
            i += 1
            break
          if i >= count or tokens[i] != ",":
            raise _Unsupported()
          i += 1
      getattr(current, name).extend(values)
    else:
      if i >= count:
        raise _Unsupported()
      value, i = _scalar(kind, extra, tokens, i)
      if repeated:
        getattr(current, name).append(value)
      else:
        setattr(current, name, value)
    if i < count and tokens[i] in (",", ";"):
      i += 1
  if stack:
    raise _Unsupported()


def merge_text(text: str, message: message_lib.Message,
               path: str = "<string>") -> message_lib.Message:
  """Merges a text-format proto into `message` (text_format.Merge semantics).

  Args:
    text: the text proto.
    message: the message to merge into; left unchanged when an error is
      raised.
    path: name of the text's source for error messages.

  Returns:
    `message`.

  Raises:
    ConfigError: the text is not valid for the message type; the message
      has file:line:column, the offending line with a caret, the enclosing
      field path and, for unknown names, the closest valid ones.
  """
  fresh = message.__class__()
  try:
    _fast_parse(text, fresh)
  except (_Unsupported, ValueError, TypeError, IndexError):
    pass
  else:
    message.MergeFrom(fresh)
    return message
  scratch = message.__class__()
  scratch.CopyFrom(message)
  try:
    text_format.Merge(text, scratch)
  except text_format.ParseError as e:
    raise config_errors.from_parse_error(
        e, text, path, message.DESCRIPTOR) from None
  message.CopyFrom(scratch)
  return message


def parse_text(text: str, message_class, path: str = "<string>"
               ) -> message_lib.Message:
  """Parses a text-format proto into a new message of `message_class`.

  Args:
    text: the text proto.
    message_class: generated message class, e.g.
      pipeline_pb2.TrainEvalPipelineConfig.
    path: name of the text's source for error messages.

  Returns:
    A new `message_class` instance.

  Raises:
    ConfigError: see merge_text.
  """
  message = message_class()
  return merge_text(text, message, path)


def fast_path_accepts(text: str, message_class) -> bool:
  """Whether the fast parser handles `text` itself (for tests and benches)."""
  try:
    _fast_parse(text, message_class())
  except (_Unsupported, ValueError, TypeError, IndexError):
    return False
  return True
