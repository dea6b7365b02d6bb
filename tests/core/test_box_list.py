"""Tests for object_detection/core/box_list.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import box_list


def _boxlist():
  boxes = tf.constant([[0.0, 0.0, 10.0, 20.0], [2.0, 4.0, 6.0, 12.0]])
  return box_list.BoxList(boxes)


def test_num_boxes_static_and_dynamic():
  boxlist = _boxlist()
  assert boxlist.num_boxes_static() == 2
  num_boxes = boxlist.num_boxes()
  assert num_boxes.dtype == tf.int32 and num_boxes.shape == []
  assert int(num_boxes) == 2


def test_accepts_python_lists_and_empty():
  boxlist = box_list.BoxList([[0.0, 0.0, 1.0, 1.0]])
  assert boxlist.get().dtype == tf.float32
  empty = box_list.BoxList(tf.zeros([0, 4]))
  assert empty.num_boxes_static() == 0
  assert int(empty.num_boxes()) == 0
  assert [t.shape.as_list() for t in
          empty.get_center_coordinates_and_sizes()] == [[0]] * 4


@pytest.mark.parametrize("shape", [[4], [2, 3], [1, 2, 4]])
def test_rejects_bad_shapes(shape):
  with pytest.raises(ValueError, match=r"^BoxList: boxes must have shape "
                     r"\[N, 4\], got \("):
    box_list.BoxList(tf.zeros(shape))


def test_rejects_non_float32():
  with pytest.raises(ValueError,
                     match="^BoxList: boxes must be float32, got float64$"):
    box_list.BoxList(tf.zeros([1, 4], tf.float64))
  with pytest.raises(ValueError,
                     match="^BoxList: boxes must be float32, got int32$"):
    box_list.BoxList(tf.zeros([1, 4], tf.int32))


def test_fields():
  boxlist = _boxlist()
  assert boxlist.get_all_fields() == ["boxes"]
  assert boxlist.get_extra_fields() == []
  boxlist.add_field("scores", tf.constant([0.5, 0.7]))
  boxlist.add_field("classes", tf.constant([1, 2]))
  assert boxlist.get_all_fields() == ["boxes", "scores", "classes"]
  assert boxlist.get_extra_fields() == ["scores", "classes"]
  assert boxlist.has_field("scores") and not boxlist.has_field("masks")
  np.testing.assert_array_equal(boxlist.get_field("classes"), [1, 2])
  boxlist.set_field("classes", tf.constant([3, 4]))
  np.testing.assert_array_equal(boxlist.get_field("classes"), [3, 4])
  np.testing.assert_array_equal(boxlist.get_field("boxes"), boxlist.get())


def test_missing_field_errors_name_field_and_present_fields():
  boxlist = _boxlist()
  boxlist.add_field("scores", tf.constant([0.5, 0.7]))
  message = "^BoxList has no field 'masks'; present fields: boxes, scores$"
  with pytest.raises(ValueError, match=message):
    boxlist.get_field("masks")
  with pytest.raises(ValueError, match=message):
    boxlist.set_field("masks", tf.zeros([2, 3, 3]))
  with pytest.raises(ValueError, match=message):
    boxlist.as_tensor_dict(["boxes", "masks"])


def test_set_validates_boxes():
  boxlist = _boxlist()
  boxlist.set(tf.constant([[1.0, 1.0, 2.0, 2.0]]))
  assert boxlist.num_boxes_static() == 1
  with pytest.raises(ValueError, match="must have shape"):
    boxlist.set(tf.zeros([1, 5]))
  with pytest.raises(ValueError, match="must be float32"):
    boxlist.set_field("boxes", tf.zeros([1, 4], tf.float16))


def test_center_coordinates_and_sizes():
  # box 0: h = 10 - 0 = 10, w = 20 - 0 = 20, center (5, 10)
  # box 1: h = 6 - 2 = 4,  w = 12 - 4 = 8,  center (2 + 2, 4 + 4) = (4, 8)
  ycenter, xcenter, height, width = (
      _boxlist().get_center_coordinates_and_sizes())
  np.testing.assert_array_equal(ycenter, [5.0, 4.0])
  np.testing.assert_array_equal(xcenter, [10.0, 8.0])
  np.testing.assert_array_equal(height, [10.0, 4.0])
  np.testing.assert_array_equal(width, [20.0, 8.0])


def test_transpose_coordinates():
  boxlist = _boxlist()
  boxlist.transpose_coordinates()
  np.testing.assert_array_equal(
      boxlist.get(), [[0.0, 0.0, 20.0, 10.0], [4.0, 2.0, 12.0, 6.0]])
  assert boxlist.get().shape.as_list() == [2, 4]


def test_as_tensor_dict():
  boxlist = _boxlist()
  boxlist.add_field("scores", tf.constant([0.5, 0.7]))
  assert sorted(boxlist.as_tensor_dict()) == ["boxes", "scores"]
  only_scores = boxlist.as_tensor_dict(["scores"])
  assert list(only_scores) == ["scores"]
  np.testing.assert_allclose(only_scores["scores"], [0.5, 0.7])


def test_dynamic_num_boxes_in_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
  def count_and_height(boxes):
    boxlist = box_list.BoxList(boxes)
    assert boxlist.num_boxes_static() is None
    _, _, height, _ = boxlist.get_center_coordinates_and_sizes()
    return boxlist.num_boxes(), height

  num_boxes, height = count_and_height(tf.constant([[1.0, 0.0, 4.0, 1.0]]))
  assert int(num_boxes) == 1
  np.testing.assert_array_equal(height, [3.0])  # 4 - 1
  num_boxes, height = count_and_height(tf.zeros([0, 4]))
  assert int(num_boxes) == 0 and height.shape == [0]


def test_unknown_last_dim_is_accepted_unknown_rank_too():
  @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
  def build(boxes):
    return box_list.BoxList(boxes).num_boxes()

  assert int(build(tf.zeros([3, 4]))) == 3
