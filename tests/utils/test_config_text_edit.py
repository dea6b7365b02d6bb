"""Tests for object_detection.utils.config_text_edit."""

import pytest
from google.protobuf import descriptor_pb2
from google.protobuf import text_format

from object_detection.protos import eval_pb2
from object_detection.protos import image_resizer_pb2
from object_detection.protos import string_int_label_map_pb2
from object_detection.utils import config_paths
from object_detection.utils import config_text_edit

LABEL_MAP = """\
# Label map.
item {
  name: 'cat'  # the cat
  id: 1
  ancestor_ids: [5, 6]
}

item <
  name: "dog"
  id: 2
  descendant_ids: 7
  descendant_ids: 8
>
# trailing comment
"""


def _edit(text: str, path: str, value) -> str:
  """Sets path=value on the parsed text and carries it into the text."""
  message = text_format.Parse(text,
                              string_int_label_map_pb2.StringIntLabelMap())
  config_paths.set_field_by_path(message, path, value)
  edited = config_text_edit.set_field_text(text, message, path)
  assert text_format.Parse(
      edited, string_int_label_map_pb2.StringIntLabelMap()) == message
  return edited


def _replaced(text: str, old: str, new: str) -> str:
  assert text.count(old) == 1
  return text.replace(old, new)


@pytest.mark.parametrize("path,value,old,new", [
    ("item[0].id", "3", "  id: 1\n", "  id: 3\n"),
    # The quote character of the original string is kept; the comment too.
    ("item[0].name", "lynx", "'cat'  # the", "'lynx'  # the"),
    ("item[0].name", "it's", "'cat'", "'it\\'s'"),
    ("item[1].display_name", 'Big "dog"', "  descendant_ids: 8\n",
     '  descendant_ids: 8\n  display_name: "Big \\"dog\\""\n'),
    ("item[0].frequency", "RARE", "[5, 6]\n", "[5, 6]\n  frequency: RARE\n"),
    # Repeated fields: a list stays a list, one-per-line stays one-per-line.
    ("item[0].ancestor_ids", "[1, 2, 3]", "[5, 6]", "[1, 2, 3]"),
    ("item[0].ancestor_ids", "[4]", "[5, 6]", "[4]"),
    ("item[1].descendant_ids", "[9]", "  descendant_ids: 7\n"
     "  descendant_ids: 8\n", "  descendant_ids: 9\n"),
    ("item[1].descendant_ids", "[1,2,3]", "  descendant_ids: 7\n"
     "  descendant_ids: 8\n", "  descendant_ids: 1\n  descendant_ids: 2\n"
     "  descendant_ids: 3\n"),
    ("item[1].descendant_ids[1]", "10", "descendant_ids: 8",
     "descendant_ids: 10"),
    ("item[0].ancestor_ids[-1]", "10", "[5, 6]", "[5, 10]"),
    ("item[0].ancestor_ids", "[]", "  ancestor_ids: [5, 6]\n", ""),
    # Absent parents are created, indented one level per depth.
    ("item[0].keypoints[0].label", "nose", "[5, 6]\n",
     '[5, 6]\n  keypoints {\n    label: "nose"\n  }\n'),
    # A new element of a repeated message goes after the last one.
    ("item[2].name", "bird", ">\n# trailing",
     '>\nitem {\n  name: "bird"\n}\n# trailing'),
    # A whole message replaced.
    ("item[0]", "{ name: 'z' id: 9 }", "{\n  name: 'cat'  # the cat\n  id: 1\n"
     "  ancestor_ids: [5, 6]\n}", '{\n  name: "z"\n  id: 9\n}'),
])
def test_edit_changes_only_the_field(path, value, old, new):
  assert _edit(LABEL_MAP, path, value) == _replaced(LABEL_MAP, old, new)


@pytest.mark.parametrize("text,path,value,expected", [
    # One-line blocks stay on one line.
    ('item { name: "a" id: 1 }', "item[0].id", "2", 'item { name: "a" id: 2 }'),
    ('item { name: "a" }', "item[0].id", "2", 'item { name: "a" id: 2 }'),
    ("item {}", "item[0].id", "2", "item {\n  id: 2\n}"),
    ("item { keypoints {} }", "item[0].keypoints[0].id", "2",
     "item { keypoints { id: 2 } }"),
    # Separators after values are fine.
    ('item { name: "a"; id: 1, }', "item[0].id", "2",
     'item { name: "a"; id: 2, }'),
    # Indentation comes from the siblings, or the file's unit.
    ("item {\n\tid: 1\n}\n", "item[0].name", "x",
     'item {\n\tid: 1\n\tname: "x"\n}\n'),
    ("item {\n    id: 1\n    keypoints {\n    }\n}\n",
     "item[0].keypoints[0].label", "x",
     'item {\n    id: 1\n    keypoints {\n        label: "x"\n    }\n}\n'),
    # Windows line endings stay Windows line endings.
    ("item {\r\n  id: 1\r\n}\r\n", "item[0].name", "x",
     'item {\r\n  id: 1\r\n  name: "x"\r\n}\r\n'),
    ("item {\r\n  id: 1\r\n  ancestor_ids: 2\r\n}\r\n", "item[0].ancestor_ids",
     "[]", "item {\r\n  id: 1\r\n}\r\n"),
    # Empty or comment-only documents grow at the end.
    ("", "item[0].id", "1", "item {\n  id: 1\n}\n"),
    ("# nothing yet", "item[0].id", "1", "# nothing yet\nitem {\n  id: 1\n}\n"),
])
def test_edit_layouts(text, path, value, expected):
  assert _edit(text, path, value) == expected


@pytest.mark.parametrize("text,path,message", [
    ("item { name: 'a }", "item[0].id",
     "line 1:14: unexpected character \"'\""),
    ("item { id: 1", "item[0].id", "end of text: expected '}'"),
    ("item { id 1 }", "item[0].id", "line 1:11: expected ':' or '{', got '1'"),
])
def test_untokenizable_text_is_an_error(text, path, message):
  target = string_int_label_map_pb2.StringIntLabelMap()
  target.item.add().id = 4
  with pytest.raises(config_text_edit.TextEditError) as error:
    config_text_edit.set_field_text(text, target, path)
  assert str(error.value) == message


def test_bad_paths_are_errors():
  target = string_int_label_map_pb2.StringIntLabelMap()
  with pytest.raises(config_text_edit.TextEditError) as error:
    config_text_edit.set_field_text("", target, "item[0].idd")
  assert str(error.value) == (
      "item[0].idd: index 0 is out of range (item has 0 elements)")
  target.item.add()
  with pytest.raises(config_text_edit.TextEditError) as error:
    config_text_edit.set_field_text("item {}", target, "item[0].idd")
  assert str(error.value) == (
      "item[0].idd: StringIntLabelMapItem has no field 'idd'")
  with pytest.raises(config_text_edit.TextEditError) as error:
    config_text_edit.set_field_text("item {}", target, "item..id")
  assert str(error.value).startswith("invalid field path 'item..id'")


def _item_field(name: str):
  item = string_int_label_map_pb2.StringIntLabelMapItem
  return item.DESCRIPTOR.fields_by_name[name]


@pytest.mark.parametrize("field,value,text", [
    ("id", 7, "7"),
    ("name", 'a"b\n', '"a\\"b\\n"'),
    ("name", "é", '"é"'),
    ("frequency", 3, "RARE"),
    ("frequency", 42, "42"),
])
def test_format_scalar(field, value, text):
  assert config_text_edit.format_scalar(_item_field(field), value) == text


def test_format_scalar_floats_and_bools():
  fields = descriptor_pb2.FieldOptions.DESCRIPTOR.fields_by_name
  uninterpreted = descriptor_pb2.UninterpretedOption.DESCRIPTOR.fields_by_name
  assert config_text_edit.format_scalar(fields["deprecated"], True) == "true"
  double = uninterpreted["double_value"]
  assert config_text_edit.format_scalar(double, 0.1) == "0.1"
  assert config_text_edit.format_scalar(double, float("-inf")) == "-inf"


RESIZER = """\
# Resizer.
keep_aspect_ratio_resizer {
  min_dimension: 600  # short side
  max_dimension: 1024
}
"""


def _edit_resizer(text: str, path: str, value) -> str:
  message = text_format.Parse(text, image_resizer_pb2.ImageResizer())
  config_paths.set_field_by_path(message, path, value)
  edited = config_text_edit.set_field_text(text, message, path)
  assert text_format.Parse(edited, image_resizer_pb2.ImageResizer()) == message
  return edited


def test_setting_a_oneof_member_removes_the_others():
  assert _edit_resizer(RESIZER, "fixed_shape_resizer", "{ height: 300 }") == (
      "# Resizer.\nfixed_shape_resizer {\n  height: 300\n}\n")
  assert _edit_resizer(
      "fixed_shape_resizer { height: 3 } # one line", "identity_resizer",
      "{}") == "# one line\nidentity_resizer {\n}\n"


def test_same_oneof_member_is_edited_in_place():
  assert _edit_resizer(RESIZER, "keep_aspect_ratio_resizer.resize_method",
                       "AREA") == RESIZER.replace(
                           "  max_dimension: 1024\n",
                           "  max_dimension: 1024\n  resize_method: AREA\n")
  assert _edit_resizer(
      RESIZER, "keep_aspect_ratio_resizer.per_channel_pad_value",
      "[0.5, 0.25]") == RESIZER.replace(
          "  max_dimension: 1024\n",
          "  max_dimension: 1024\n  per_channel_pad_value: [0.5, 0.25]\n")


def test_message_lines_write_maps_by_key():
  config = eval_pb2.EvalConfig()
  config.super_categories["b"] = "x"
  config.super_categories["a"] = "y"
  config.num_examples = 3
  assert config_text_edit.message_lines(config) == [
      (0, "num_examples: 3"),
      (0, "super_categories {"), (1, 'key: "a"'), (1, 'value: "y"'), (0, "}"),
      (0, "super_categories {"), (1, 'key: "b"'), (1, 'value: "x"'), (0, "}"),
  ]
