"""Tests for object_detection.utils.config_diff."""

import pytest
from google.protobuf import text_format

from object_detection.protos import calibration_pb2
from object_detection.protos import eval_pb2
from object_detection.protos import string_int_label_map_pb2
from object_detection.utils import config_diff


def _label_map(text: str):
  return text_format.Parse(text, string_int_label_map_pb2.StringIntLabelMap())


def _lines(first: str, second: str) -> list:
  return [str(d) for d in config_diff.diff_messages(_label_map(first),
                                                    _label_map(second))]


def test_equal_messages_have_no_differences():
  text = "item { name: 'a' id: 1 ancestor_ids: [2, 3] }"
  assert not config_diff.diff_messages(_label_map(text), _label_map(text))


def test_changed_added_removed_leaves():
  assert _lines(
      "item { name: 'a' id: 1 frequency: RARE ancestor_ids: [2, 3] }",
      "item { name: 'b' id: 1 display_name: 'A \"x\"' ancestor_ids: [2] }",
  ) == [
      '~ item[0].name: "a" -> "b"',
      '+ item[0].display_name: "A \\"x\\""',
      "~ item[0].ancestor_ids: [2, 3] -> [2]",
      "- item[0].frequency: RARE",
  ]


def test_extra_repeated_elements_are_listed_leaf_by_leaf():
  second = "item { id: 1 } item { id: 2 keypoints { id: 0 } } item {}"
  assert _lines("item { id: 1 }", second) == [
      "+ item[1].id: 2",
      "+ item[1].keypoints[0].id: 0",
      "+ item[2]: {}",
  ]
  assert _lines("item { id: 1 } item { name: 'x' }", "item { id: 1 }") == [
      '- item[1].name: "x"']


def test_presence_counts():
  # id: 0 is the default, but set on one side only.
  assert _lines("item { id: 0 }", "item {}") == ["- item[0].id: 0"]


def test_difference_fields_and_prefix():
  differences = config_diff.diff_messages(
      _label_map("item { id: 1 }"), _label_map("item { id: 2 }"), "label_map")
  assert differences == [
      config_diff.Difference("changed", "label_map.item[0].id", "1", "2")]


def test_messages_of_different_types_are_refused():
  with pytest.raises(TypeError) as error:
    config_diff.diff_messages(string_int_label_map_pb2.StringIntLabelMap(),
                              string_int_label_map_pb2.StringIntLabelMapItem())
  assert str(error.value) == (
      "cannot diff object_detection.protos.StringIntLabelMap against "
      "object_detection.protos.StringIntLabelMapItem")


def test_map_fields_are_compared_by_key():
  first, second = eval_pb2.EvalConfig(), eval_pb2.EvalConfig()
  first.super_categories.update({"a": "x", "b": "y"})
  second.super_categories.update({"b": "z", "c": "w"})
  assert [str(d) for d in config_diff.diff_messages(first, second)] == [
      '- super_categories["a"]: "x"',
      '~ super_categories["b"]: "y" -> "z"',
      '+ super_categories["c"]: "w"',
  ]
  approximations = calibration_pb2.ClassIdFunctionApproximations()
  approximations.class_id_xy_pairs_map[3].x_y_pair.add(x=0.5, y=0.25)
  assert [str(d) for d in config_diff.diff_messages(
      calibration_pb2.ClassIdFunctionApproximations(), approximations)] == [
          "+ class_id_xy_pairs_map[3].x_y_pair[0].x: 0.5",
          "+ class_id_xy_pairs_map[3].x_y_pair[0].y: 0.25",
      ]
