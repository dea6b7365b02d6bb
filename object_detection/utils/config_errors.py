"""The one exception type for unusable config input, and how it reads.

A syntax or schema error in a text proto (pipeline.config, a label map)
becomes a `ConfigError` whose message says where and what: file, line and
column, the offending line with a caret under the column, the field path of
the enclosing message, and for unknown names the closest valid ones:

    pipeline.config:12:9: unknown field 'aspect_ratio' in GridAnchorGenerator; did you mean 'aspect_ratios'?
                aspect_ratio: [0.5, 1.0, 2.0]
                ^
      in model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator

Lines and columns are 1-based. The field path of the enclosing message is
recovered by scanning the text up to the error, tracking `name {` / `}`
nesting against the message descriptors, so it names repeated elements by
index (`train_config.data_augmentation_options[1]`).
"""

import dataclasses
import difflib
import re
from typing import Optional, Sequence

from google.protobuf import descriptor as descriptor_lib
from google.protobuf import descriptor_pool
from google.protobuf import text_format

from object_detection.utils import file_io


class ConfigError(ValueError):
  """A config (file, text or override) that cannot be used as written.

  Attributes:
    path: file name the text came from ('<string>' for in-memory text), or
      None when the error is not about a text (an override, a field path).
    line: 1-based line of the error, or None.
    column: 1-based column of the error, or None.
    field_path: dotted path of the message (or field) the error is in, '' for
      the top level, None when unknown.
    reason: the short description, without location.
    suggestions: closest valid names, best first (may be empty).
  """

  def __init__(self,
               message: str,
               *,
               path: Optional[str] = None,
               line: Optional[int] = None,
               column: Optional[int] = None,
               field_path: Optional[str] = None,
               reason: Optional[str] = None,
               suggestions: Sequence[str] = ()):
    super().__init__(message)
    self.path = path
    self.line = line
    self.column = column
    self.field_path = field_path
    self.reason = reason if reason is not None else message
    self.suggestions = tuple(suggestions)


def read_bytes(path: str, what: str = "file") -> bytes:
  """The content of a config file, with read failures as ConfigError.

  Args:
    path: local path or URL (see utils.file_io).
    what: what the file is, for the message ("label map file").

  Raises:
    ConfigError: the file does not exist or cannot be read.
  """
  try:
    return file_io.read_bytes(path)
  except FileNotFoundError:
    raise ConfigError("%s: no such %s" % (path, what), path=path,
                      reason="no such file") from None
  except OSError as e:
    raise ConfigError("%s: cannot read: %s" % (path, e.strerror or e),
                      path=path, reason="cannot read") from None


def closest_names(name: str, candidates: Sequence[str],
                  max_count: int = 3) -> list:
  """The candidates that look most like `name`.

  Close spellings (difflib ratio >= 0.6) come first, then candidates that
  contain `name` (case-insensitive, names of 3+ characters: 'PNG' finds
  'PNG_MASKS').

  Args:
    name: the misspelled name.
    candidates: valid names.
    max_count: how many to return at most.

  Returns:
    list of str, best match first; empty when nothing is close.
  """
  candidates = list(candidates)
  matches = difflib.get_close_matches(name, candidates, n=max_count,
                                      cutoff=0.6)
  lowered = name.lower()
  if len(lowered) >= 3:
    for candidate in candidates:
      if len(matches) >= max_count:
        break
      if candidate not in matches and lowered in candidate.lower():
        matches.append(candidate)
  return matches


def did_you_mean(suggestions: Sequence[str]) -> str:
  """"did you mean 'a' or 'b'?", or '' when there is nothing to suggest."""
  quoted = ["'%s'" % s for s in suggestions]
  if not quoted:
    return ""
  if len(quoted) == 1:
    return "did you mean %s?" % quoted[0]
  return "did you mean %s or %s?" % (", ".join(quoted[:-1]), quoted[-1])


def with_suggestions(reason: str, suggestions: Sequence[str]) -> str:
  """Appends '; did you mean ...?' to `reason` when there are suggestions."""
  hint = did_you_mean(suggestions)
  return "%s; %s" % (reason, hint) if hint else reason


def caret_lines(text: str, line: int, column: int) -> str:
  """The offending line of `text` and a caret under `column` (both 1-based).

  Tabs before the column are kept in the caret line so that the caret lines
  up in a terminal whatever the tab width.
  """
  lines = text.split("\n")
  if not 1 <= line <= len(lines):
    return ""
  source = lines[line - 1].rstrip("\r")
  prefix = "".join(c if c == "\t" else " " for c in source[:max(column - 1, 0)])
  return "    %s\n    %s^" % (source, prefix)


def format_error(path: str, line: int, column: int, reason: str,
                 text: str, field_path: Optional[str]) -> str:
  """The full multi-line message of a located error (see module docstring)."""
  parts = ["%s:%d:%d: %s" % (path, line, column, reason)]
  excerpt = caret_lines(text, line, column)
  if excerpt:
    parts.append(excerpt)
  if field_path is not None:
    parts.append("  in %s" % (field_path or "<top level>"))
  return "\n".join(parts)


# ---------------------------------------------------------------------------
# Where in the message tree a text position is.

_SCAN_TOKEN = re.compile(
    r"""\s+|\#[^\n]*|"(?:[^"\\\n]|\\.)*"?|'(?:[^'\\\n]|\\.)*'?"""
    r"""|[{}<>\[\]:,;]|[^\s{}<>\[\]:,;"'\#]+""")


@dataclasses.dataclass
class _Frame:
  """One open message while scanning: how it is named and typed."""
  path: str
  descriptor: Optional[descriptor_lib.Descriptor]
  counts: dict = dataclasses.field(default_factory=dict)
  in_list: bool = False


@dataclasses.dataclass(frozen=True)
class TextPosition:
  """What encloses a position of a text proto.

  Attributes:
    field_path: dotted path of the innermost open message ('' at top level).
    descriptor: that message's descriptor, None where a name was unknown.
    last_field: the last field name read before the position, or None.
  """
  field_path: str
  descriptor: Optional[descriptor_lib.Descriptor]
  last_field: Optional[str]


def _offset_of(text: str, line: int, column: int) -> int:
  """Character offset of a 1-based (line, column) in `text`."""
  offset = 0
  for _ in range(line - 1):
    newline = text.find("\n", offset)
    if newline < 0:
      return len(text)
    offset = newline + 1
  return min(offset + max(column - 1, 0), len(text))


def _join(path: str, name: str) -> str:
  return "%s.%s" % (path, name) if path else name


# What the scanner expects next: a field name, ':' or '{' after a name, or a
# value after ':'.
_NAME, _AFTER_NAME, _VALUE = range(3)


def locate(text: str, line: int, column: int,
           root: descriptor_lib.Descriptor) -> TextPosition:
  """Finds the message enclosing a position of a text proto.

  Args:
    text: the whole text proto.
    line: 1-based line of the position.
    column: 1-based column of the position.
    root: descriptor of the message the text describes.

  Returns:
    The TextPosition of the innermost message open at that position.
  """
  end = _offset_of(text, line, column)
  stack = [_Frame("", root)]
  last_name = None
  expect = _NAME
  for token in _SCAN_TOKEN.findall(text, 0, end):
    first = token[0]
    if first.isspace() or first == "#":
      continue
    frame = stack[-1]
    if first in "{<":
      named = expect != _NAME or frame.in_list
      stack.append(_open_frame(frame, last_name if named else None))
      expect = _NAME
    elif first in "}>":
      if len(stack) > 1:
        stack.pop()
      expect = _NAME
    elif first == ":":
      if expect == _AFTER_NAME:
        expect = _VALUE
    elif first == "[":
      frame.in_list = expect == _VALUE
    elif first == "]":
      frame.in_list = False
      expect = _NAME
    elif first in ",;":
      pass
    elif frame.in_list:
      pass
    elif expect == _NAME and first not in "\"'":
      last_name = token
      expect = _AFTER_NAME
    else:
      expect = _NAME
  top = stack[-1]
  return TextPosition(top.path, top.descriptor, last_name)


def _open_frame(parent: _Frame, name: Optional[str]) -> _Frame:
  """The frame of the message field `name` opened inside `parent`."""
  if name is None:
    return _Frame(parent.path, None)
  index = parent.counts.get(name, 0)
  parent.counts[name] = index + 1
  field = None
  if parent.descriptor is not None:
    field = parent.descriptor.fields_by_name.get(name)
  segment = name
  if field is not None and field.is_repeated:
    segment = "%s[%d]" % (name, index)
  child = field.message_type if field is not None else None
  return _Frame(_join(parent.path, segment), child)


# ---------------------------------------------------------------------------
# protobuf's ParseError -> ConfigError.

_NO_FIELD = re.compile(
    r'Message type "(?P<type>[\w.]+)" has no field named "(?P<name>[^"]*)"')
_NO_ENUM_NAME = re.compile(
    r'Enum type "(?P<type>[\w.]+)" has no value named (?P<name>.*?)\.$')
_NO_ENUM_NUMBER = re.compile(
    r'Enum type "(?P<type>[\w.]+)" has no value with number (?P<name>-?\d+)')
_BAD_SCALAR = re.compile(r"Couldn't parse (?P<kind>\w+): (?P<value>.*)$")
_PREFIX = re.compile(r"^\d+:\d+ : ")

_KIND_WORDS = {
    "integer": "an integer",
    "float": "a number",
    "string": "a quoted string",
}


def _short_type(full_name: str) -> str:
  return full_name.rsplit(".", 1)[-1]


def _find_message(full_name: str) -> Optional[descriptor_lib.Descriptor]:
  try:
    return descriptor_pool.Default().FindMessageTypeByName(full_name)
  except KeyError:
    return None


def _find_enum(full_name: str):
  try:
    return descriptor_pool.Default().FindEnumTypeByName(full_name)
  except KeyError:
    return None


def _raw_reason(error: text_format.ParseError, source_line: str) -> str:
  """protobuf's message without its 'L:C : ' and quoted-line prefixes."""
  reason = _PREFIX.sub("", str(error), count=1)
  quoted = "'%s': " % source_line
  if reason.startswith(quoted):
    reason = reason[len(quoted):]
  return reason


def _explain(reason: str, position: TextPosition) -> tuple:
  """Rewords a protobuf parse message; returns (reason, suggestions)."""
  match = _NO_FIELD.search(reason)
  if match:
    message_type = _find_message(match.group("type"))
    names = list(message_type.fields_by_name) if message_type else []
    suggestions = closest_names(match.group("name"), names)
    text = "unknown field '%s' in %s" % (match.group("name"),
                                         _short_type(match.group("type")))
    return with_suggestions(text, suggestions), suggestions
  for pattern in (_NO_ENUM_NAME, _NO_ENUM_NUMBER):
    match = pattern.search(reason)
    if match:
      enum_type = _find_enum(match.group("type"))
      names = list(enum_type.values_by_name) if enum_type else []
      suggestions = closest_names(match.group("name"), names)
      text = "unknown value %s for enum %s (valid: %s)" % (
          match.group("name"), _short_type(match.group("type")),
          ", ".join(names))
      return with_suggestions(text, suggestions), suggestions
  match = _BAD_SCALAR.search(reason)
  if match:
    field = position.last_field or "?"
    kind = _KIND_WORDS.get(match.group("kind"), "a " + match.group("kind"))
    return "field '%s' expects %s, got %s" % (
        field, kind, match.group("value")), ()
  if reason.startswith('Expected "true" or "false"'):
    return "field '%s' expects true or false" % (position.last_field or "?"), ()
  if reason.startswith("Value out of range"):
    return "field '%s': %s" % (position.last_field or "?", reason.lower()), ()
  return "syntax error: %s" % reason, ()


def from_parse_error(error: text_format.ParseError, text: str, path: str,
                     root: descriptor_lib.Descriptor) -> ConfigError:
  """Builds the ConfigError for a protobuf text_format.ParseError.

  Args:
    error: what text_format raised while parsing `text`.
    text: the whole text that was parsed.
    path: file name to show ('<string>' for in-memory text).
    root: descriptor of the message the text was parsed into.

  Returns:
    A ConfigError with location, caret excerpt, enclosing path and, for
    unknown names, suggestions.
  """
  line = error.GetLine() or 1
  column = error.GetColumn() or 1
  lines = text.split("\n")
  source_line = lines[line - 1] if 1 <= line <= len(lines) else ""
  position = locate(text, line, column, root)
  reason, suggestions = _explain(_raw_reason(error, source_line), position)
  message = format_error(path, line, column, reason, text,
                         position.field_path)
  return ConfigError(message, path=path, line=line, column=column,
                     field_path=position.field_path, reason=reason,
                     suggestions=suggestions)
