"""Second-stage post-processing: refined boxes and class scores -> detections.

As in the TF Object Detection API: per-class box codes are decoded against
their proposals (absolute pixels of the padded input), logits become scores
through the score converter, background is dropped, and per-class NMS keeps
the final detections, clipped to the true image window and normalised to it
(`change_coordinate_frame`). Output classes are 0-based.

Also returned, before NMS: `raw_detection_boxes` (each proposal's box of its
best non-background class, normalised to the true image and clipped to
[0, 1]) and `raw_detection_scores` (converted scores with background).
"""

from typing import Callable, Dict, Optional

import tensorflow as tf

from object_detection.core import box_coder as box_coder_lib
from object_detection.core import box_list
from object_detection.core import standard_fields as fields
from object_detection.meta_architectures import proposal_generator
from object_detection.utils import shape_utils

_Detections = fields.DetectionResultFields


def decode_refined_boxes(box_coder: box_coder_lib.BoxCoder,
                         refined_box_encodings: tf.Tensor,
                         proposal_boxes: tf.Tensor) -> tf.Tensor:
  """Decodes per-class codes against their proposals.

  Args:
    box_coder: the second-stage BoxCoder.
    refined_box_encodings: float32 [batch, S, q, 4].
    proposal_boxes: float32 [batch, S, 4] absolute proposals.

  Returns:
    float32 [batch, S, q, 4] absolute boxes.
  """
  batch, num_boxes, q, code_size = (
      shape_utils.combined_static_and_dynamic_shape(refined_box_encodings))
  anchors = tf.tile(proposal_boxes[:, :, tf.newaxis, :], [1, 1, q, 1])
  decoded = box_coder.decode(
      tf.reshape(refined_box_encodings, [-1, code_size]),
      box_list.BoxList(tf.reshape(anchors, [-1, 4]))).get()
  return tf.reshape(decoded, [batch, num_boxes, q, 4])


class DetectionPostprocessor:
  """Runs score conversion and multi-class NMS on second-stage outputs.

  Args:
    box_coder: the second-stage BoxCoder.
    non_max_suppression_fn: the NMS callable of post_processing_builder
      (batch_multiclass_non_max_suppression with its thresholds bound).
    score_conversion_fn: logits -> scores callable of the same builder.
  """

  def __init__(self, box_coder: box_coder_lib.BoxCoder,
               non_max_suppression_fn: Callable,
               score_conversion_fn: Callable[[tf.Tensor], tf.Tensor]):
    self._box_coder = box_coder
    self._nms_fn = non_max_suppression_fn
    self._score_conversion_fn = score_conversion_fn

  def __call__(self, refined_box_encodings: tf.Tensor,
               class_predictions_with_background: tf.Tensor,
               proposal_boxes: tf.Tensor, num_proposals: tf.Tensor,
               image_shape: tf.Tensor, true_image_shapes: tf.Tensor,
               mask_predictions: Optional[tf.Tensor] = None
               ) -> Dict[str, tf.Tensor]:
    """Returns the detection dict (DetectionResultFields keys).

    Args:
      refined_box_encodings: float32 [batch, S, q, 4] box codes.
      class_predictions_with_background: float32 [batch, S,
        num_classes + 1] logits.
      proposal_boxes: float32 [batch, S, 4] proposals normalised to the
        padded input.
      num_proposals: int32 [batch] valid proposals.
      image_shape: int32 [4] padded input shape.
      true_image_shapes: int32 [batch, 3].
      mask_predictions: optional float32 [batch, S, q_mask, mask_height,
        mask_width] masks carried through NMS.

    Returns:
      detection_boxes float32 [batch, max_detections, 4] normalised to the
      true image; detection_scores, detection_classes (0-based) float32
      [batch, max_detections]; num_detections float32 [batch];
      detection_multiclass_scores float32 [batch, max_detections,
      num_classes + 1]; detection_anchor_indices int32 [batch,
      max_detections] (index of the source proposal); raw_detection_boxes
      float32 [batch, S, 4]; raw_detection_scores float32 [batch, S,
      num_classes + 1]; detection_masks (only with mask_predictions).
    """
    with tf.name_scope("SecondStagePostprocessor"):
      padded_size = tf.cast(tf.stack([image_shape[1], image_shape[2]] * 2),
                            tf.float32)
      absolute_proposals = proposal_boxes * padded_size
      decoded = decode_refined_boxes(self._box_coder, refined_box_encodings,
                                     absolute_proposals)
      scores_with_background = self._score_conversion_fn(
          class_predictions_with_background)
      windows = proposal_generator.clip_windows(true_image_shapes)
      (boxes, scores, classes, masks, extra, num_detections,
       indices) = self._nms_fn(
           decoded, scores_with_background[:, :, 1:],
           clip_window=windows, change_coordinate_frame=True,
           num_valid_boxes=num_proposals, masks=mask_predictions,
           additional_fields={
               _Detections.detection_multiclass_scores: scores_with_background
           }, return_indices=True)
      detections = {
          _Detections.detection_boxes: boxes,
          _Detections.detection_scores: scores,
          _Detections.detection_classes: classes,
          _Detections.num_detections: tf.cast(num_detections, tf.float32),
          _Detections.detection_multiclass_scores:
              extra[_Detections.detection_multiclass_scores],
          _Detections.detection_anchor_indices: indices,
          _Detections.raw_detection_boxes: self._raw_boxes(
              decoded, class_predictions_with_background, windows),
          _Detections.raw_detection_scores: scores_with_background,
      }
      if masks is not None:
        detections[_Detections.detection_masks] = masks
      return detections

  @staticmethod
  def _raw_boxes(decoded: tf.Tensor, logits: tf.Tensor,
                 windows: tf.Tensor) -> tf.Tensor:
    """float32 [batch, S, 4] best-class boxes normalised to the window."""
    if decoded.shape[2] == 1:
      boxes = decoded[:, :, 0, :]
    else:
      best = tf.argmax(logits[:, :, 1:], axis=2, output_type=tf.int32)
      boxes = tf.gather(decoded, best, axis=2, batch_dims=2)
    size = tf.tile(windows[:, tf.newaxis, 2:4], [1, 1, 2])
    return tf.clip_by_value(boxes / size, 0.0, 1.0)
