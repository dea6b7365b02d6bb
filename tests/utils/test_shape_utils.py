"""Tests for object_detection/utils/shape_utils.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.utils import shape_utils


def test_combined_shape_static():
  assert shape_utils.combined_static_and_dynamic_shape(
      tf.zeros([2, 3, 5])) == [2, 3, 5]


def test_combined_shape_mixed_inside_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
  def shape_of(tensor):
    shape = shape_utils.combined_static_and_dynamic_shape(tensor)
    assert isinstance(shape[1], int) and shape[1] == 3
    assert isinstance(shape[0], tf.Tensor)
    return shape[0]

  assert int(shape_of(tf.zeros([7, 3]))) == 7


def test_combined_shape_unknown_rank_raises():
  @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
  def shape_of(tensor):
    return shape_utils.combined_static_and_dynamic_shape(tensor)

  # Errors raised while tracing are prefixed by tf.function's "in user code".
  with pytest.raises(ValueError, match=(
      "combined_static_and_dynamic_shape: the rank of the tensor must be "
      "statically known")):
    shape_of(tf.zeros([1]))


def test_pad_or_clip_tensor_pads_and_clips():
  tensor = tf.constant([[1, 2], [3, 4], [5, 6]])
  np.testing.assert_array_equal(
      shape_utils.pad_or_clip_tensor(tensor, 2), [[1, 2], [3, 4]])
  padded = shape_utils.pad_or_clip_tensor(tensor, 4)
  np.testing.assert_array_equal(padded, [[1, 2], [3, 4], [5, 6], [0, 0]])
  assert padded.shape.as_list() == [4, 2]
  empty = shape_utils.pad_or_clip_tensor(tf.zeros([0, 4]), 2)
  np.testing.assert_array_equal(empty, np.zeros([2, 4]))


def test_pad_or_clip_tensor_rank0_raises():
  with pytest.raises(ValueError, match=(
      r"^pad_or_clip_tensor: the tensor must have a statically known rank "
      r">= 1, got shape \(\)$")):
    shape_utils.pad_or_clip_tensor(tf.constant(1.0), 2)


def test_pad_or_clip_nd():
  tensor = tf.constant([[1.0, 2.0, 3.0]])  # [1, 3]
  result = shape_utils.pad_or_clip_nd(tensor, [2, 2])
  np.testing.assert_array_equal(result, [[1.0, 2.0], [0.0, 0.0]])
  keep = shape_utils.pad_or_clip_nd(tensor, [3, None])
  assert keep.shape.as_list() == [3, 3]
  with pytest.raises(ValueError, match=(
      "^pad_or_clip_nd: output_shape has 1 entries but the tensor has rank "
      "2$")):
    shape_utils.pad_or_clip_nd(tensor, [2])


def test_pad_or_clip_tensor_dynamic_length():
  @tf.function(input_signature=[tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([], tf.int32)])
  def pad(values, length):
    return shape_utils.pad_or_clip_tensor(values, length)

  np.testing.assert_array_equal(pad(tf.constant([7, 8]), 3), [7, 8, 0])
  np.testing.assert_array_equal(pad(tf.constant([7, 8]), 1), [7])


def test_check_min_image_dim():
  images = tf.zeros([1, 32, 40, 3])
  assert shape_utils.check_min_image_dim(32, images) is images
  with pytest.raises(ValueError, match=(
      "^image size must be >= 33 in both height and width; got height 32 "
      "and width 40$")):
    shape_utils.check_min_image_dim(33, images)
  with pytest.raises(ValueError, match="must have rank 4"):
    shape_utils.check_min_image_dim(1, tf.zeros([32, 32, 3]))


def test_check_min_image_dim_dynamic():
  @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3])])
  def check(images):
    return shape_utils.check_min_image_dim(8, images)

  assert check(tf.zeros([1, 8, 9, 3])).shape == [1, 8, 9, 3]
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="image size must be >= 8"):
    check(tf.zeros([1, 7, 9, 3]))
