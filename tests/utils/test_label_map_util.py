"""Tests for object_detection/utils/label_map_util.py."""

import pytest
from google.protobuf import text_format

from tests.conftest import upstream_params
from object_detection.protos import string_int_label_map_pb2
from object_detection.utils import label_map_util

ConfigError = label_map_util.ConfigError

LABELS = """
item { id: 1 name: "/m/cat" display_name: "cat" }
item { id: 3 name: "/m/dog" }
item {
  id: 2 name: "/m/person" display_name: "person"
  keypoints { id: 0 label: "nose" }
  keypoints { id: 1 label: "left_eye" }
  frequency: RARE
  instance_count: 12
}
"""


@pytest.fixture
def labels_path(tmp_path):
  path = tmp_path / "labels.pbtxt"
  path.write_text(LABELS)
  return str(path)


def _label_map(text):
  return text_format.Parse(text, string_int_label_map_pb2.StringIntLabelMap())


def test_load_labelmap(labels_path):
  label_map = label_map_util.load_labelmap(labels_path)
  assert [item.id for item in label_map.item] == [1, 3, 2]


def test_load_binary_labelmap(tmp_path):
  path = tmp_path / "labels.pb"
  path.write_bytes(_label_map(LABELS).SerializeToString())
  assert label_map_util.load_labelmap(str(path)) == _label_map(LABELS)


def test_syntax_error_has_location(tmp_path):
  path = tmp_path / "labels.pbtxt"
  path.write_text('item {\n  id: 1\n  nam: "x"\n}\n')
  with pytest.raises(ConfigError) as info:
    label_map_util.load_labelmap(str(path))
  assert str(info.value) == (
      "%s:3:3: unknown field 'nam' in StringIntLabelMapItem; did you mean "
      "'name' or 'display_name'?\n"
      "      nam: \"x\"\n"
      "      ^\n"
      "  in item[0]" % path)


def test_missing_file(tmp_path):
  with pytest.raises(ConfigError, match="no such label map file"):
    label_map_util.load_labelmap(str(tmp_path / "x.pbtxt"))


@pytest.mark.parametrize("text, expected", [
    ("item { id: -1 name: 'a' }",
     ["item[0] ('a'): id -1 is not allowed; ids start at 1 (0 only for "
      "'background')"]),
    ("item { id: 0 name: 'a' }",
     ["item[0] ('a'): id 0 is not allowed; ids start at 1 (0 only for "
      "'background')"]),
    ("item { id: 0 name: 'background' } item { id: 1 name: 'a' }", []),
    ("item { name: 'a' }", ["item[0] ('a'): has no id"]),
    ("item { id: 1 name: 'a' } item { id: 1 name: 'b' }",
     ["item[1] ('b'): id 1 is also used by item[0] ('a')"]),
    ("item { id: 1 name: 'a' } item { id: 2 name: 'a' }",
     ["item[1] ('a'): name 'a' is also used by item[0] ('a')"]),
    ("item { id: 1 display_name: 'a' } item { id: 2 display_name: 'a' }", []),
    ("item { id: 1 keypoints { id: 2 label: 'x' } keypoints { id: 2 "
     "label: 'y' } }", ["item[0]: keypoint ids [2] are used more than once"]),
])
def test_label_map_errors(text, expected):
  assert label_map_util.label_map_errors(_label_map(text)) == expected


def test_load_labelmap_raises_on_invalid_map(tmp_path):
  path = tmp_path / "labels.pbtxt"
  path.write_text("item { id: 1 name: 'a' } item { id: 1 name: 'b' }")
  with pytest.raises(ConfigError) as info:
    label_map_util.load_labelmap(str(path))
  assert str(info.value) == ("%s: invalid label map:\n  item[1] ('b'): id 1 "
                             "is also used by item[0] ('a')" % path)


def test_get_label_map_dict(labels_path):
  assert label_map_util.get_label_map_dict(labels_path) == {
      "/m/cat": 1, "/m/dog": 3, "/m/person": 2}
  assert label_map_util.get_label_map_dict(
      labels_path, use_display_name=True) == {"cat": 1, "": 3, "person": 2}


def test_get_label_map_dict_fills_gaps_and_background():
  label_map = _label_map("item { id: 2 name: 'a' } item { id: 5 name: 'b' }")
  assert label_map_util.get_label_map_dict(
      label_map, fill_in_gaps_and_background=True) == {
          "a": 2, "b": 5, "background": 0, "1": 1, "3": 3, "4": 4}


def test_get_max_label_map_index(labels_path):
  assert label_map_util.get_max_label_map_index(
      label_map_util.load_labelmap(labels_path)) == 3
  assert label_map_util.get_max_label_map_index(_label_map("")) == 0


def test_convert_label_map_to_categories(labels_path):
  label_map = label_map_util.load_labelmap(labels_path)
  assert label_map_util.convert_label_map_to_categories(label_map, 2) == [
      {"id": 1, "name": "cat"},
      {"id": 2, "name": "person", "keypoints": {"nose": 0, "left_eye": 1},
       "frequency": "r", "instance_count": 12}]
  assert label_map_util.convert_label_map_to_categories(
      label_map, 3, use_display_name=False)[1] == {"id": 3, "name": "/m/dog"}
  assert label_map_util.convert_label_map_to_categories(None, 2) == [
      {"id": 1, "name": "category_1"}, {"id": 2, "name": "category_2"}]


def test_create_category_index_from_labelmap(labels_path):
  index = label_map_util.create_category_index_from_labelmap(labels_path)
  assert sorted(index) == [1, 2, 3]
  assert index[3] == {"id": 3, "name": "/m/dog"}
  assert index[1] == {"id": 1, "name": "cat"}


def test_keypoint_label_map_dict(labels_path):
  assert label_map_util.get_keypoint_label_map_dict(labels_path) == {
      "nose": 0, "left_eye": 1}


def test_class_agnostic_category_index():
  assert label_map_util.create_class_agnostic_category_index() == {
      1: {"id": 1, "name": "object"}}


@pytest.mark.parametrize("path", upstream_params("label_maps/*.pbtxt"))
def test_upstream_label_maps_load(path):
  index = label_map_util.create_category_index_from_labelmap(path)
  assert index
  assert all(0 < key == value["id"] for key, value in index.items())
