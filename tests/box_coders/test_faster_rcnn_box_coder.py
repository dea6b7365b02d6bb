"""Tests for object_detection/box_coders/faster_rcnn_box_coder.py."""

import math

import numpy as np
import pytest
import tensorflow as tf

from object_detection.box_coders import faster_rcnn_box_coder
from object_detection.core import box_list

# Anchor [0, 0, 10, 10]: centre (5, 5), h = w = 10.
# Box [2, 4, 8, 12]: centre (5, 8), h = 6, w = 8.
# ty = (5 - 5) / 10 = 0, tx = (8 - 5) / 10 = 0.3,
# th = log(6 / 10) = -0.5108256, tw = log(8 / 10) = -0.2231436.
_ANCHORS = [[0.0, 0.0, 10.0, 10.0], [0.0, 0.0, 4.0, 2.0]]
_BOXES = [[2.0, 4.0, 8.0, 12.0], [1.0, 1.0, 3.0, 3.0]]
# Second pair: anchor centre (2, 1), h 4, w 2; box centre (2, 2), h 2, w 2:
# ty = 0, tx = 1 / 2 = 0.5, th = log(2 / 4), tw = log(2 / 2) = 0.
_CODES = [[0.0, 0.3, math.log(0.6), math.log(0.8)],
          [0.0, 0.5, math.log(0.5), 0.0]]


def test_encode_without_scale_factors():
  coder = faster_rcnn_box_coder.FasterRcnnBoxCoder()
  codes = coder.encode(box_list.BoxList(tf.constant(_BOXES)),
                       box_list.BoxList(tf.constant(_ANCHORS)))
  np.testing.assert_allclose(codes.numpy(), _CODES, atol=1e-6)


def test_encode_with_scale_factors_multiplies_each_code():
  coder = faster_rcnn_box_coder.FasterRcnnBoxCoder([10.0, 10.0, 5.0, 5.0])
  codes = coder.encode(box_list.BoxList(tf.constant(_BOXES)),
                       box_list.BoxList(tf.constant(_ANCHORS)))
  np.testing.assert_allclose(codes.numpy(),
                             np.array(_CODES) * [10.0, 10.0, 5.0, 5.0],
                             atol=1e-5)


def test_decode_inverts_encode():
  coder = faster_rcnn_box_coder.FasterRcnnBoxCoder([10.0, 10.0, 5.0, 5.0])
  anchors = box_list.BoxList(tf.constant(_ANCHORS))
  codes = coder.encode(box_list.BoxList(tf.constant(_BOXES)), anchors)
  decoded = coder.decode(codes, anchors).get()
  np.testing.assert_allclose(decoded.numpy(), _BOXES, atol=1e-4)


def test_decode_golden():
  # Code [0, 0.3, log 0.6, log 0.8] on anchor [0, 0, 10, 10] is [2, 4, 8, 12].
  coder = faster_rcnn_box_coder.FasterRcnnBoxCoder()
  decoded = coder.decode(tf.constant(_CODES[:1]),
                         box_list.BoxList(tf.constant(_ANCHORS[:1]))).get()
  np.testing.assert_allclose(decoded.numpy(), _BOXES[:1], atol=1e-5)


def test_zero_sized_box_gives_finite_code_thanks_to_epsilon():
  # h = w = 0 -> log((0 + 1e-8) / (10 + 1e-8)) = log(1e-9) = -20.7233.
  coder = faster_rcnn_box_coder.FasterRcnnBoxCoder()
  codes = coder.encode(box_list.BoxList(tf.constant([[5.0, 5.0, 5.0, 5.0]])),
                       box_list.BoxList(tf.constant([_ANCHORS[0]])))
  np.testing.assert_allclose(codes.numpy(),
                             [[0.0, 0.0, math.log(1e-9), math.log(1e-9)]],
                             rtol=1e-4)
  assert coder.code_size == 4


def test_graph_mode_with_unknown_number_of_boxes():
  coder = faster_rcnn_box_coder.FasterRcnnBoxCoder([10.0, 10.0, 5.0, 5.0])

  @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)] * 2)
  def round_trip(boxes, anchors):
    anchor_list = box_list.BoxList(anchors)
    codes = coder.encode(box_list.BoxList(boxes), anchor_list)
    return codes, coder.decode(codes, anchor_list).get()

  codes, decoded = round_trip(tf.constant(_BOXES), tf.constant(_ANCHORS))
  assert codes.shape == (2, 4)
  np.testing.assert_allclose(decoded.numpy(), _BOXES, atol=1e-4)


@pytest.mark.parametrize("scale_factors, message", [
    ([1.0, 2.0, 3.0], r"scale_factors must hold 4 values, got \[1.0, 2.0, "
     r"3.0\]"),
    ([1.0, 0.0, 1.0, 1.0], r"every scale factor must be > 0"),
])
def test_bad_scale_factors(scale_factors, message):
  with pytest.raises(ValueError, match=message):
    faster_rcnn_box_coder.FasterRcnnBoxCoder(scale_factors)
