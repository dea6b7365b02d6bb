"""Tests for object_detection.utils.text_proto_spans."""

import pytest

from object_detection.utils import text_proto_spans

TEXT = """\
# comment { not: a field }
a: 1
b { c: 'x\\'y' "z" d < e: -2.5e3 > }
f: [1, -inf, 3],
g: [{h: 1}, <h: 2>];
[ext.name]: ENUM_VALUE
i {}
"""


def _span(text: str, node) -> str:
  return text[node.start:node.end]


def test_entries_values_and_blocks_have_exact_spans():
  root = text_proto_spans.parse(TEXT)
  assert (root.open_end, root.close_start) == (0, len(TEXT))
  assert [e.name for e in root.fields] == ["a", "b", "f", "g", "[ext.name]",
                                           "i"]
  a, b, f, g, ext, i = root.fields
  assert _span(TEXT, a) == "a: 1"
  assert [_span(TEXT, v) for v in a.values] == ["1"]
  assert _span(TEXT, b.values[0]) == "{ c: 'x\\'y' \"z\" d < e: -2.5e3 > }"
  c, d = b.values[0].block.fields
  assert _span(TEXT, c.values[0]) == "'x\\'y' \"z\""
  assert _span(TEXT, d.values[0].block.fields[0].values[0]) == "-2.5e3"
  assert _span(TEXT, f) == "f: [1, -inf, 3],"
  assert [_span(TEXT, v) for v in f.values] == ["1", "-inf", "3"]
  assert TEXT[f.list_span[0]:f.list_span[1]] == "[1, -inf, 3]"
  assert [_span(TEXT, v) for v in g.values] == ["{h: 1}", "<h: 2>"]
  assert g.values[1].block.fields[0].name == "h"
  assert _span(TEXT, ext.values[0]) == "ENUM_VALUE"
  block = i.values[0].block
  assert (block.fields, TEXT[block.open_end:block.close_start]) == ([], "")
  assert TEXT[block.owner_start:block.owner_start + 1] == "i"


@pytest.mark.parametrize("text,message", [
    ("a: 'x", "line 1:4: unexpected character \"'\""),
    ("a {\n  b: 1\n", "end of text: expected '}'"),
    ("a: [1, 2", "end of text: expected ',' or ']'"),
    ("a: [1 2]", "line 1:7: expected ',' or ']', got '2'"),
    ("a 1", "line 1:3: expected ':' or '{', got '1'"),
    ("{", "line 1:1: expected a field name, got '{'"),
    ("a: }", "line 1:4: expected a value, got '}'"),
])
def test_syntax_errors_say_where(text, message):
  with pytest.raises(text_proto_spans.TextSyntaxError) as error:
    text_proto_spans.parse(text)
  assert str(error.value) == message
