"""Tests for object_detection/builders/post_processing_builder.py."""

import math

import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.builders import post_processing_builder
from object_detection.protos import post_processing_pb2
from tests.conftest import upstream_params


def _build(text):
  return post_processing_builder.build(
      text_format.Parse(text, post_processing_pb2.PostProcessing()))


def test_nms_function_binds_the_config():
  nms_fn, _ = _build("""
    batch_non_max_suppression { score_threshold: 0.5 iou_threshold: 0.5
                                max_detections_per_class: 1
                                max_total_detections: 2 }""")
  # Two overlapping boxes in class 0 (one kept), class 1 below threshold.
  boxes = tf.constant([[[[0.0, 0.0, 1.0, 1.0]], [[0.0, 0.0, 1.0, 0.9]]]])
  scores = tf.constant([[[0.9, 0.1], [0.8, 0.4]]])
  nmsed_boxes, nmsed_scores, _, _, _, num = nms_fn(boxes, scores)
  np.testing.assert_array_equal(num, [1])
  np.testing.assert_allclose(nmsed_scores.numpy(), [[0.9, 0.0]], rtol=1e-6)
  assert nmsed_boxes.shape == (1, 2, 4)


@pytest.mark.parametrize("converter, expected", [
    # logits [0, ln 3] / logit_scale 1.
    ("IDENTITY", [0.0, math.log(3.0)]),
    ("SIGMOID", [0.5, 0.75]),
    ("SOFTMAX", [0.25, 0.75]),
])
def test_score_converters(converter, expected):
  _, score_fn = _build("score_converter: %s" % converter)
  np.testing.assert_allclose(
      score_fn(tf.constant([0.0, math.log(3.0)])).numpy(), expected,
      rtol=1e-6)


def test_logit_scale_divides_logits():
  # softmax([0, ln 9] / 2) = softmax([0, ln 3]) = [1/4, 3/4].
  _, score_fn = _build("score_converter: SOFTMAX logit_scale: 2.0")
  np.testing.assert_allclose(
      score_fn(tf.constant([0.0, math.log(9.0)])).numpy(), [0.25, 0.75],
      rtol=1e-6)
  assert score_fn.__name__ == "softmax_with_logit_scale"


@pytest.mark.parametrize("text, message", [
    ("batch_non_max_suppression { iou_threshold: 1.5 }",
     r"post_processing.batch_non_max_suppression.iou_threshold: must be in "
     r"\[0, 1\], got 1.5"),
    ("batch_non_max_suppression { max_detections_per_class: 200 }",
     r"post_processing.batch_non_max_suppression.max_detections_per_class: "
     r"must be <= max_total_detections \(100\), got 200"),
    ("batch_non_max_suppression { max_classes_per_detection: 2 }",
     "post_processing.batch_non_max_suppression.max_classes_per_detection: "
     "only 1 is supported, got 2"),
    ("batch_non_max_suppression { soft_nms_sigma: -1 }",
     "post_processing.batch_non_max_suppression.soft_nms_sigma: must be >= 0"),
    ("logit_scale: 0", "post_processing.logit_scale: must be > 0, got 0.0"),
    ("calibration_config {}",
     "post_processing.calibration_config: not supported"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    _build(text)


def test_path_and_type_error():
  with pytest.raises(ValueError, match="^model.faster_rcnn.second_stage_post_"
                     "processing.logit_scale"):
    post_processing_builder.build(
        text_format.Parse("logit_scale: -1",
                          post_processing_pb2.PostProcessing()),
        path="model.faster_rcnn.second_stage_post_processing")
  with pytest.raises(TypeError, match="expected a PostProcessing message"):
    post_processing_builder.build(
        post_processing_pb2.BatchNonMaxSuppression())


@pytest.mark.parametrize("config_path", upstream_params("*/*rcnn*.config"))
def test_upstream_faster_rcnn_post_processing_builds(config_path):
  from object_detection.protos import pipeline_pb2  # pylint: disable=g-import-not-at-top
  with open(config_path) as config_file:
    config = text_format.Parse(config_file.read(),
                               pipeline_pb2.TrainEvalPipelineConfig())
  nms_fn, score_fn = post_processing_builder.build(
      config.model.faster_rcnn.second_stage_post_processing)
  assert callable(nms_fn) and callable(score_fn)
