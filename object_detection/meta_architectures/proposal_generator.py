"""Region proposals from the RPN outputs: decode, top-k, NMS, clip, normalise.

Anchors and decoded boxes are [ymin, xmin, ymax, xmax] in absolute pixels
of the padded input batch; proposals come out normalised by the padded
image size (the frame in which the second stage crops features), as in the
TF Object Detection API.

Per image: objectness = softmax(logits)[..., 1]; boxes are decoded against
their anchors; optionally only the `pre_nms_top_k` best-scoring anchors are
kept (all anchors when None, the TF OD API behaviour); anchors marked
invalid (outside the image at training time) never become proposals;
non-max suppression keeps up to `max_proposals` boxes whose score is above
`score_threshold`, clipped to the true (unpadded) image window.
"""

import dataclasses
from typing import Optional, Tuple

import tensorflow as tf

from object_detection.core import box_coder as box_coder_lib
from object_detection.core import box_list
from object_detection.core import post_processing
from object_detection.utils import shape_utils


@dataclasses.dataclass(frozen=True)
class ProposalParams:
  """Settings of first-stage proposal generation.

  Attributes:
    max_proposals: proposals kept per image after NMS
      (first_stage_max_proposals), > 0.
    iou_threshold: NMS IoU threshold (first_stage_nms_iou_threshold).
    score_threshold: objectness at or below which anchors are dropped
      (first_stage_nms_score_threshold).
    pre_nms_top_k: best-scoring anchors per image entering NMS; None means
      all anchors.
  """
  max_proposals: int = 300
  iou_threshold: float = 0.7
  score_threshold: float = 0.0
  pre_nms_top_k: Optional[int] = None

  def __post_init__(self):
    if self.max_proposals <= 0:
      raise ValueError("ProposalParams: max_proposals must be > 0, got "
                       "{}".format(self.max_proposals))
    if not 0.0 <= self.iou_threshold <= 1.0:
      raise ValueError("ProposalParams: iou_threshold must be in [0, 1], got "
                       "{}".format(self.iou_threshold))
    if self.pre_nms_top_k is not None and self.pre_nms_top_k <= 0:
      raise ValueError("ProposalParams: pre_nms_top_k must be > 0 or None, "
                       "got {}".format(self.pre_nms_top_k))


def clip_windows(true_image_shapes: tf.Tensor) -> tf.Tensor:
  """float32 [batch, 4] windows [0, 0, true_height, true_width] in pixels.

  Args:
    true_image_shapes: int32 [batch, 3] (height, width, channels) of the
      image content inside the padded input.
  """
  shapes = tf.cast(true_image_shapes, tf.float32)
  zeros = tf.zeros_like(shapes[:, 0])
  return tf.stack([zeros, zeros, shapes[:, 0], shapes[:, 1]], axis=1)


class ProposalGenerator:
  """Turns RPN predictions into a fixed number of proposals per image.

  Args:
    box_coder: the BoxCoder of the RPN (FasterRcnnBoxCoder [10, 10, 5, 5]).
    params: a ProposalParams.
  """

  def __init__(self, box_coder: box_coder_lib.BoxCoder,
               params: ProposalParams):
    self._box_coder = box_coder
    self._params = params

  @property
  def max_proposals(self) -> int:
    """Proposals per image (padded), a Python int."""
    return self._params.max_proposals

  def __call__(self, box_encodings: tf.Tensor, objectness_logits: tf.Tensor,
               anchors: tf.Tensor, image_shape: tf.Tensor,
               true_image_shapes: tf.Tensor,
               valid_anchors: Optional[tf.Tensor] = None
               ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Generates proposals.

    Args:
      box_encodings: float32 [batch, num_anchors, 4] RPN box codes.
      objectness_logits: float32 [batch, num_anchors, 2] logits
        (background, object).
      anchors: float32 [num_anchors, 4] absolute anchors.
      image_shape: int32 [4] shape of the padded input batch.
      true_image_shapes: int32 [batch, 3] true image sizes.
      valid_anchors: optional bool [num_anchors]; False anchors are never
        proposed.

    Returns:
      proposal_boxes: float32 [batch, max_proposals, 4] normalised by the
        padded image size, zeros past num_proposals, best first.
      proposal_scores: float32 [batch, max_proposals] objectness.
      num_proposals: int32 [batch].
    """
    with tf.name_scope("ProposalGenerator"):
      scores = tf.nn.softmax(objectness_logits)[:, :, 1]
      if valid_anchors is not None:
        scores = tf.where(valid_anchors[tf.newaxis, :], scores,
                          tf.fill(tf.shape(scores), float("-inf")))
      num_anchors = shape_utils.combined_static_and_dynamic_shape(scores)[1]
      top_k = self._params.pre_nms_top_k
      if top_k is not None and (not isinstance(num_anchors, int)
                                or top_k < num_anchors):
        top_k = (tf.minimum(top_k, num_anchors)
                 if not isinstance(num_anchors, int) else top_k)
        scores, indices = tf.math.top_k(scores, k=top_k, sorted=False)
        box_encodings = tf.gather(box_encodings, indices, batch_dims=1)
        anchors_per_image = tf.gather(anchors, indices)
        boxes = self._decode(box_encodings, anchors_per_image)
      else:
        boxes = box_coder_lib.batch_decode(
            box_encodings, self._box_coder, box_list.BoxList(anchors))
      (boxes, scores, _, _, _, num_proposals) = (
          post_processing.batch_multiclass_non_max_suppression(
              boxes[:, :, tf.newaxis, :], scores[:, :, tf.newaxis],
              score_thresh=self._params.score_threshold,
              iou_thresh=self._params.iou_threshold,
              max_size_per_class=self._params.max_proposals,
              max_total_size=self._params.max_proposals,
              clip_window=clip_windows(true_image_shapes)))
      size = tf.cast(tf.stack([image_shape[1], image_shape[2]] * 2),
                     tf.float32)
      return boxes / size, scores, num_proposals

  def _decode(self, box_encodings: tf.Tensor,
              anchors: tf.Tensor) -> tf.Tensor:
    """float32 [batch, k, 4] boxes from per-image anchors [batch, k, 4]."""
    shape = shape_utils.combined_static_and_dynamic_shape(box_encodings)
    decoded = self._box_coder.decode(
        tf.reshape(box_encodings, [-1, shape[2]]),
        box_list.BoxList(tf.reshape(anchors, [-1, 4]))).get()
    return tf.reshape(decoded, [shape[0], shape[1], 4])
