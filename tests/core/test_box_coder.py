"""Tests for object_detection/core/box_coder.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.box_coders import mean_stddev_box_coder
from object_detection.core import box_coder
from object_detection.core import box_list


def test_batch_decode_uses_the_same_anchors_for_every_image():
  # Mean/stddev coder with stddev 1: decoded = code + anchor.
  coder = mean_stddev_box_coder.MeanStddevBoxCoder(stddev=1.0)
  anchors = box_list.BoxList(tf.constant([[0.0, 0.0, 1.0, 1.0],
                                          [1.0, 1.0, 2.0, 2.0]]))
  codes = tf.constant([[[0.1, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
                       [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5]]])
  decoded = box_coder.batch_decode(codes, coder, anchors)
  np.testing.assert_allclose(
      decoded.numpy(),
      [[[0.1, 0.0, 1.0, 1.0], [1.0, 1.0, 2.0, 2.0]],
       [[0.0, 0.0, 1.0, 1.0], [1.0, 1.0, 2.5, 2.5]]], atol=1e-6)


def test_batch_decode_in_graph_mode_with_unknown_batch():
  coder = mean_stddev_box_coder.MeanStddevBoxCoder(stddev=1.0)
  anchors = box_list.BoxList(tf.constant([[0.0, 0.0, 1.0, 1.0]]))

  @tf.function(input_signature=[tf.TensorSpec([None, 1, 4], tf.float32)])
  def decode(codes):
    return box_coder.batch_decode(codes, coder, anchors)

  result = decode(tf.zeros([3, 1, 4]))
  assert result.shape == (3, 1, 4)
  np.testing.assert_allclose(result.numpy()[2], [[0.0, 0.0, 1.0, 1.0]])


def test_batch_decode_errors():
  coder = mean_stddev_box_coder.MeanStddevBoxCoder()
  anchors = box_list.BoxList(tf.zeros([2, 4]))
  with pytest.raises(ValueError, match="must have rank 3"):
    box_coder.batch_decode(tf.zeros([2, 4]), coder, anchors)
  with pytest.raises(ValueError, match="has 3 anchors in dimension 1 but "
                     "anchors holds 2 boxes"):
    box_coder.batch_decode(tf.zeros([1, 3, 4]), coder, anchors)


def test_box_coder_is_abstract():
  with pytest.raises(TypeError):
    box_coder.BoxCoder()  # pylint: disable=abstract-class-instantiated
