"""Builds the NMS function and score converter from a `PostProcessing`
proto.

`build` returns (non_max_suppressor_fn, score_converter_fn):

  * non_max_suppressor_fn is `post_processing.batch_multiclass_non_max_
    suppression` with the thresholds and caps of `batch_non_max_suppression`
    bound; callers pass boxes, scores and optional clip_window, masks, ...
  * score_converter_fn(logits) applies IDENTITY, SIGMOID or SOFTMAX to
    logits / logit_scale.
"""

import functools
from typing import Callable, Tuple

import tensorflow as tf

from object_detection.core import post_processing
from object_detection.protos import post_processing_pb2

_SCORE_CONVERTERS = {
    post_processing_pb2.PostProcessing.IDENTITY: tf.identity,
    post_processing_pb2.PostProcessing.SIGMOID: tf.sigmoid,
    post_processing_pb2.PostProcessing.SOFTMAX: tf.nn.softmax,
}


def build(post_processing_config: post_processing_pb2.PostProcessing, *,
          path: str = "post_processing") -> Tuple[Callable, Callable]:
  """Builds the NMS function and the score converter.

  Args:
    post_processing_config: a post_processing_pb2.PostProcessing.
    path: config path of the message, used in error messages (e.g.
      "model.faster_rcnn.second_stage_post_processing").

  Returns:
    non_max_suppressor_fn: callable(boxes, scores, **kwargs) -> the 6-tuple
      of batch_multiclass_non_max_suppression.
    score_converter_fn: callable(float32 logits) -> float32 scores of the
      same shape.

  Raises:
    TypeError: for a message of another type.
    ValueError: for out-of-range or unsupported fields; the message names
      the field.
  """
  if not isinstance(post_processing_config,
                    post_processing_pb2.PostProcessing):
    raise TypeError("{}: expected a PostProcessing message, got {}".format(
        path, type(post_processing_config).__name__))
  if post_processing_config.HasField("calibration_config"):
    raise ValueError("{}.calibration_config: not supported".format(path))
  nms_fn = _build_non_max_suppressor(
      post_processing_config.batch_non_max_suppression,
      path + ".batch_non_max_suppression")
  score_converter_fn = _build_score_converter(
      post_processing_config.score_converter,
      post_processing_config.logit_scale, path)
  return nms_fn, score_converter_fn


def _build_non_max_suppressor(config, path: str) -> Callable:
  """functools.partial of batch_multiclass_non_max_suppression."""
  if not 0.0 <= config.iou_threshold <= 1.0:
    raise ValueError("{}.iou_threshold: must be in [0, 1], got {}".format(
        path, config.iou_threshold))
  if config.max_detections_per_class <= 0:
    raise ValueError("{}.max_detections_per_class: must be > 0, got {}".format(
        path, config.max_detections_per_class))
  if config.max_total_detections <= 0:
    raise ValueError("{}.max_total_detections: must be > 0, got {}".format(
        path, config.max_total_detections))
  if config.max_detections_per_class > config.max_total_detections:
    raise ValueError(
        "{}.max_detections_per_class: must be <= max_total_detections ({}), "
        "got {}".format(path, config.max_total_detections,
                        config.max_detections_per_class))
  if config.soft_nms_sigma < 0:
    raise ValueError("{}.soft_nms_sigma: must be >= 0, got {}".format(
        path, config.soft_nms_sigma))
  if config.use_combined_nms and config.use_class_agnostic_nms:
    raise ValueError(
        "{}.use_combined_nms: cannot be combined with use_class_agnostic_nms"
        .format(path))
  if config.max_classes_per_detection != 1:
    raise ValueError(
        "{}.max_classes_per_detection: only 1 is supported, got {}".format(
            path, config.max_classes_per_detection))
  return functools.partial(
      post_processing.batch_multiclass_non_max_suppression,
      score_thresh=config.score_threshold,
      iou_thresh=config.iou_threshold,
      max_size_per_class=config.max_detections_per_class,
      max_total_size=config.max_total_detections,
      use_static_shapes=config.use_static_shapes,
      use_class_agnostic_nms=config.use_class_agnostic_nms,
      max_classes_per_detection=config.max_classes_per_detection,
      soft_nms_sigma=config.soft_nms_sigma,
      use_partitioned_nms=config.use_partitioned_nms,
      use_combined_nms=config.use_combined_nms,
      change_coordinate_frame=config.change_coordinate_frame,
      use_hard_nms=config.use_hard_nms,
      use_cpu_nms=config.use_cpu_nms)


def _build_score_converter(score_converter: int, logit_scale: float,
                           path: str) -> Callable:
  """Returns fn(logits) = converter(logits / logit_scale)."""
  if not logit_scale > 0:
    raise ValueError("{}.logit_scale: must be > 0, got {}".format(
        path, logit_scale))
  converter = _SCORE_CONVERTERS[score_converter]

  def score_converter_fn(logits: tf.Tensor) -> tf.Tensor:
    scaled_logits = tf.multiply(logits, 1.0 / logit_scale,
                                name="scale_logits")
    return converter(scaled_logits, name="convert_scores")

  score_converter_fn.__name__ = "{}_with_logit_scale".format(
      post_processing_pb2.PostProcessing.ScoreConverter.Name(
          score_converter).lower())
  return score_converter_fn
