"""Tests for object_detection/builders/box_coder_builder.py."""

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.box_coders import faster_rcnn_box_coder
from object_detection.box_coders import mean_stddev_box_coder
from object_detection.builders import box_coder_builder
from object_detection.core import box_list
from object_detection.protos import box_coder_pb2


def _parse(text):
  return text_format.Parse(text, box_coder_pb2.BoxCoder())


def test_faster_rcnn_box_coder_uses_the_scale_factors():
  coder = box_coder_builder.build(_parse("""
    faster_rcnn_box_coder { y_scale: 2.0 x_scale: 4.0 height_scale: 1.0
                            width_scale: 1.0 }"""))
  assert isinstance(coder, faster_rcnn_box_coder.FasterRcnnBoxCoder)
  # Box centre offset (1, 1) on a 10x10 anchor: ty = .1 * 2, tx = .1 * 4.
  codes = coder.encode(box_list.BoxList(tf.constant([[1.0, 1.0, 11.0, 11.0]])),
                       box_list.BoxList(tf.constant([[0.0, 0.0, 10.0, 10.0]])))
  np.testing.assert_allclose(codes.numpy(), [[0.2, 0.4, 0.0, 0.0]], atol=1e-6)


def test_faster_rcnn_defaults_are_10_10_5_5():
  coder = box_coder_builder.build(_parse("faster_rcnn_box_coder {}"))
  codes = coder.encode(box_list.BoxList(tf.constant([[1.0, 1.0, 11.0, 11.0]])),
                       box_list.BoxList(tf.constant([[0.0, 0.0, 10.0, 10.0]])))
  np.testing.assert_allclose(codes.numpy(), [[1.0, 1.0, 0.0, 0.0]], atol=1e-5)


def test_mean_stddev_box_coder():
  coder = box_coder_builder.build(
      _parse("mean_stddev_box_coder { stddev: 0.5 }"))
  assert isinstance(coder, mean_stddev_box_coder.MeanStddevBoxCoder)
  codes = coder.encode(box_list.BoxList(tf.constant([[1.0, 1.0, 2.0, 2.0]])),
                       box_list.BoxList(tf.zeros([1, 4])))
  np.testing.assert_allclose(codes.numpy(), [[2.0, 2.0, 4.0, 4.0]])


@pytest.mark.parametrize("text, message", [
    ("", "box_coder: no box coder set; expected one of: "
     "faster_rcnn_box_coder, mean_stddev_box_coder"),
    ("square_box_coder {}", "box_coder.square_box_coder: not supported; "
     "supported box coders: faster_rcnn_box_coder, mean_stddev_box_coder"),
    ("faster_rcnn_box_coder { height_scale: 0 }",
     r"box_coder.faster_rcnn_box_coder.height_scale: must be > 0, got 0.0"),
    ("mean_stddev_box_coder { stddev: -1 }",
     r"box_coder.mean_stddev_box_coder.stddev: must be > 0, got -1.0"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    box_coder_builder.build(_parse(text))


def test_path_prefix_and_type_error():
  with pytest.raises(ValueError, match=r"^model.ssd.box_coder.square_box"):
    box_coder_builder.build(_parse("square_box_coder {}"),
                            path="model.ssd.box_coder")
  with pytest.raises(TypeError, match="box_coder: expected a BoxCoder "
                     "message, got FasterRcnnBoxCoder"):
    box_coder_builder.build(box_coder_pb2.BoxCoder().faster_rcnn_box_coder)
