"""Tests of object_detection/utils/ops.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.utils import ops


def test_constant_mask_fills_its_box_exactly():
  # Image rows sample normalised heights i / 8 (9 rows, corners aligned):
  # rows 2..6 lie in [0.25, 0.75]. Columns sample j / 4 (5 columns): 0..2
  # lie in [0, 0.5]. A constant mask is 1 there whatever the interpolation.
  masks = ops.reframe_box_masks_to_image_masks(
      tf.ones([1, 4, 4]), tf.constant([[0.25, 0.0, 0.75, 0.5]]), 9, 5)
  expected = np.zeros((1, 9, 5), np.float32)
  expected[0, 2:7, 0:3] = 1.0
  assert masks.dtype == tf.float32
  np.testing.assert_array_equal(masks.numpy(), expected)


def test_two_masks_keep_their_own_boxes_and_values():
  box_masks = tf.stack([tf.fill([3, 3], 0.5), tf.ones([3, 3])])
  boxes = tf.constant([[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]])
  masks = ops.reframe_box_masks_to_image_masks(box_masks, boxes, 5, 5)
  # 5 pixels sample 0, .25, .5, .75, 1: box 0 covers rows/cols 0..2,
  # box 1 rows/cols 2..4.
  expected = np.zeros((2, 5, 5), np.float32)
  expected[0, :3, :3] = 0.5
  expected[1, 2:, 2:] = 1.0
  np.testing.assert_allclose(masks.numpy(), expected, atol=1e-6)


def test_bilinear_interpolates_between_mask_cells():
  # A 1x2 mask [0, 1] over the whole 1x3 image: the middle pixel samples
  # halfway between the two cells.
  masks = ops.reframe_box_masks_to_image_masks(
      tf.constant([[[0.0, 1.0]]]), tf.constant([[0.0, 0.0, 1.0, 1.0]]), 1, 3)
  # One output row samples the mask's top row (corners aligned, height 1).
  np.testing.assert_allclose(masks.numpy(), [[[0.0, 0.5, 1.0]]], atol=1e-6)
  nearest = ops.reframe_box_masks_to_image_masks(
      tf.constant([[[0.0, 1.0]]]), tf.constant([[0.0, 0.0, 1.0, 1.0]]), 1, 3,
      resize_method="nearest")
  assert set(np.unique(nearest.numpy())) <= {0.0, 1.0}


def test_uint8_masks_stay_uint8_and_binary():
  masks = ops.reframe_box_masks_to_image_masks(
      tf.ones([1, 4, 4], tf.uint8), tf.constant([[0.25, 0.0, 0.75, 0.5]]),
      9, 5)
  assert masks.dtype == tf.uint8
  expected = np.zeros((1, 9, 5), np.uint8)
  expected[0, 2:7, 0:3] = 1
  np.testing.assert_array_equal(masks.numpy(), expected)


def test_zero_box_gives_zero_mask():
  masks = ops.reframe_box_masks_to_image_masks(
      tf.ones([2, 4, 4]), tf.constant([[0.0, 0.0, 0.0, 0.0],
                                       [0.2, 0.2, 0.2, 0.6]]), 6, 7)
  assert masks.shape == (2, 6, 7)
  assert float(tf.reduce_max(masks)) == 0.0


def test_no_masks_and_graph_mode_shapes():
  masks = ops.reframe_box_masks_to_image_masks(tf.zeros([0, 4, 4]),
                                               tf.zeros([0, 4]), 9, 7)
  assert masks.shape == (0, 9, 7)

  @tf.function(input_signature=[
      tf.TensorSpec([None, 4, 4], tf.float32),
      tf.TensorSpec([None, 4], tf.float32),
      tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.int32)])
  def reframe(box_masks, boxes, height, width):
    return ops.reframe_box_masks_to_image_masks(box_masks, boxes, height,
                                                width)

  assert reframe(tf.zeros([0, 4, 4]), tf.zeros([0, 4]), 5, 6).shape == (
      0, 5, 6)
  full = reframe(tf.ones([2, 4, 4]), tf.constant([[0.0, 0.0, 1.0, 1.0]] * 2),
                 5, 6)
  np.testing.assert_array_equal(full.numpy(), np.ones((2, 5, 6)))


def test_bad_arguments_raise():
  with pytest.raises(ValueError, match="resize_method must be one of"):
    ops.reframe_box_masks_to_image_masks(tf.ones([1, 2, 2]),
                                         tf.ones([1, 4]), 3, 3, "bicubic")
  with pytest.raises(ValueError, match=r"box_masks must have shape"):
    ops.reframe_box_masks_to_image_masks(tf.ones([2, 2]), tf.ones([1, 4]),
                                         3, 3)
  with pytest.raises(ValueError, match=r"boxes must have shape \[num_masks, "
                     r"4\], got \(1, 3\)"):
    ops.reframe_box_masks_to_image_masks(tf.ones([1, 2, 2]), tf.ones([1, 3]),
                                         3, 3)
