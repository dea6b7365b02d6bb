"""Byte spans of the fields of a protobuf text-format document.

`parse(text)` returns the document as a tree of `Block`s (message bodies)
holding `Entry`s (one occurrence of a field each) holding `Value`s (a scalar's
tokens or a nested block), every node with its exact offsets in `text`, so
that an editor can splice new text in without touching anything else.

The grammar is protobuf's text format: `name: value`, `name {..}` or
`name <..>` (with an optional `:`), lists `name: [a, b]` of scalars or
messages, strings in either quote with backslash escapes (adjacent strings
concatenate), signed numbers and identifiers, extension names `[a.b]`, an
optional `,` or `;` after a field, and `#` comments to the end of the line.
Field names and values are not checked against any schema here.
"""

import dataclasses
import re
from typing import List, Optional, Tuple

_TOKEN = re.compile(
    r"(?P<space>[ \t\r\n\v\f]+)"
    r"|(?P<comment>#[^\n]*)"
    r"|(?P<string>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')"
    r"|(?P<word>[A-Za-z_][0-9A-Za-z_+-]*|(?:[0-9+-]|\.[0-9])[0-9A-Za-z_.+-]*)"
    r"|(?P<symbol>[{}<>\[\]:,;/.])")
_CLOSE = {"{": "}", "<": ">"}


class TextSyntaxError(ValueError):
  """The text is not protobuf text format."""


@dataclasses.dataclass(frozen=True)
class _Token:
  kind: str  # "string", "word" or "symbol".
  text: str
  start: int
  end: int


@dataclasses.dataclass
class Block:
  """A message body: fields between `open_end` and `close_start`."""
  open_end: int  # Offset just after the opening delimiter (0 for the root).
  close_start: int  # Offset of the closing delimiter (len(text) for the root).
  fields: List["Entry"]
  owner_start: int = 0  # Offset of the field name (or `{`) owning the block.


@dataclasses.dataclass
class Value:
  """One value: a scalar's tokens, or a message block with its delimiters."""
  start: int
  end: int
  block: Optional[Block] = None


@dataclasses.dataclass
class Entry:
  """One occurrence of a field: `name: value`, `name {..}`, `name: [..]`."""
  name: str
  start: int  # Offset of the field name.
  end: int  # Offset after the value (and its `,`/`;` separator).
  values: List[Value]
  list_span: Optional[Tuple[int, int]] = None  # `[` .. `]` when a list.


def _tokenize(text: str) -> List[_Token]:
  tokens = []
  pos = 0
  while pos < len(text):
    match = _TOKEN.match(text, pos)
    if not match:
      raise TextSyntaxError("%s: unexpected character %r" %
                          (_where(text, pos), text[pos]))
    if match.lastgroup not in ("space", "comment"):
      tokens.append(_Token(match.lastgroup, match.group(), pos, match.end()))
    pos = match.end()
  return tokens


def _where(text: str, pos: int) -> str:
  line = text.count("\n", 0, pos) + 1
  return "line %d:%d" % (line, pos - text.rfind("\n", 0, pos))


class _Parser:
  """Recursive-descent parser building the span tree of a text message."""

  def __init__(self, text: str):
    self._text = text
    self._tokens = _tokenize(text)
    self._i = 0

  def parse(self) -> Block:
    root = Block(0, len(self._text), [])
    self._fields(root, None)
    return root

  def _peek(self) -> Optional[_Token]:
    return self._tokens[self._i] if self._i < len(self._tokens) else None

  def _next(self, expected: str = "a token") -> _Token:
    token = self._peek()
    if token is None:
      raise TextSyntaxError("end of text: expected %s" % expected)
    self._i += 1
    return token

  def _fail(self, token: _Token, expected: str) -> TextSyntaxError:
    return TextSyntaxError("%s: expected %s, got %r" % (
        _where(self._text, token.start), expected, token.text))

  def _fields(self, block: Block, close: Optional[str]) -> None:
    while True:
      token = self._peek()
      if token is None:
        if close is not None:
          raise TextSyntaxError("end of text: expected %r" % close)
        return
      if close is not None and token.text == close:
        block.close_start = token.start
        self._i += 1
        return
      block.fields.append(self._entry())

  def _entry(self) -> Entry:
    first = self._next("a field name")
    name = first.text
    if first.text == "[":  # Extension or Any type URL: keep it as one name.
      name = ""
      while self._peek() is not None and self._peek().text != "]":
        name += self._next().text
      name = "[%s]" % name
      self._next("']'")
    elif first.kind != "word":
      raise self._fail(first, "a field name")
    entry = Entry(name, first.start, first.end, [])
    colon = self._peek() is not None and self._peek().text == ":"
    if colon:
      self._i += 1
    token = self._next("a value")
    if token.text in _CLOSE:
      entry.values.append(self._message(token))
      entry.values[-1].block.owner_start = first.start
    elif token.text == "[":
      self._list(entry, token)
    elif colon:
      entry.values.append(self._scalar(token))
    else:
      raise self._fail(token, "':' or '{'")
    entry.end = entry.values[-1].end if entry.list_span is None else (
        entry.list_span[1])
    following = self._peek()
    if following is not None and following.text in (",", ";"):
      entry.end = self._next().end
    return entry

  def _message(self, opening: _Token) -> Value:
    block = Block(opening.end, opening.end, [], opening.start)
    self._fields(block, _CLOSE[opening.text])
    return Value(opening.start, block.close_start + 1, block)

  def _list(self, entry: Entry, opening: _Token) -> None:
    token = self._next("a value or ']'")
    while token.text != "]":
      if token.text in _CLOSE:
        entry.values.append(self._message(token))
      else:
        entry.values.append(self._scalar(token))
      token = self._next("',' or ']'")
      if token.text == ",":
        token = self._next("a value")
      elif token.text != "]":
        raise self._fail(token, "',' or ']'")
    entry.list_span = (opening.start, token.end)

  def _scalar(self, token: _Token) -> Value:
    value = Value(token.start, token.end)
    if token.kind == "string":
      while self._peek() is not None and self._peek().kind == "string":
        value.end = self._next().end
    elif token.text == "-" and self._peek() is not None:
      value.end = self._next().end
    elif token.kind != "word":
      raise self._fail(token, "a value")
    return value


def parse(text: str) -> Block:
  """The span tree of a text-format document.

  Args:
    text: the document.

  Returns:
    The root block (open_end 0, close_start len(text)).

  Raises:
    TextSyntaxError: with `line L:C` of the first token that does not fit.
  """
  return _Parser(text).parse()
