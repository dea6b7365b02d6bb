"""Tests for object_detection/box_coders/mean_stddev_box_coder.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.box_coders import mean_stddev_box_coder
from object_detection.core import box_list


def test_encode_and_decode():
  # (box - anchor) / 0.1: [0.5 - 0.4, 0.2 - 0.2, 0.9 - 0.8, 1.0 - 0.7] / 0.1
  #                       = [1, 0, 1, 3].
  coder = mean_stddev_box_coder.MeanStddevBoxCoder(stddev=0.1)
  boxes = box_list.BoxList(tf.constant([[0.5, 0.2, 0.9, 1.0]]))
  anchors = box_list.BoxList(tf.constant([[0.4, 0.2, 0.8, 0.7]]))
  codes = coder.encode(boxes, anchors)
  np.testing.assert_allclose(codes.numpy(), [[1.0, 0.0, 1.0, 3.0]], atol=1e-5)
  decoded = coder.decode(codes, anchors).get()
  np.testing.assert_allclose(decoded.numpy(), [[0.5, 0.2, 0.9, 1.0]],
                             atol=1e-6)
  assert coder.code_size == 4


def test_stddev_field_on_anchors_is_rejected():
  coder = mean_stddev_box_coder.MeanStddevBoxCoder()
  anchors = box_list.BoxList(tf.constant([[0.0, 0.0, 1.0, 1.0]]))
  anchors.add_field("stddev", tf.constant([[0.1] * 4]))
  with pytest.raises(ValueError, match="'stddev' is a parameter of the coder"):
    coder.encode(box_list.BoxList(tf.constant([[0.0, 0.0, 1.0, 1.0]])),
                 anchors)


def test_non_positive_stddev():
  with pytest.raises(ValueError, match="stddev must be > 0, got 0.0"):
    mean_stddev_box_coder.MeanStddevBoxCoder(stddev=0.0)
