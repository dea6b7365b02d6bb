"""Region proposal network (RPN) losses, as in the TF Object Detection API.

Per image, anchors are matched to the groundtruth with the proposal target
assigner (IoU >= 0.7 object, < 0.3 background, each groundtruth forced to
its best anchor); a balanced sampler picks `minibatch_size` anchors with at
most `positive_fraction` objects; invalid anchors (outside the image at
training time) are never sampled. Both losses are summed over the sampled
anchors, divided by their number, averaged over the batch and multiplied by
their weights:

  * localization: weighted smooth L1 (Huber, delta 1) on the box codes of
    sampled positives;
  * objectness: softmax cross entropy over (background, object).

Anchors and groundtruth boxes are in the same frame (absolute pixels).
"""

import dataclasses
from typing import Dict, Optional, Sequence

import tensorflow as tf

from object_detection.core import balanced_positive_negative_sampler as sampler_lib
from object_detection.core import box_list
from object_detection.core import losses
from object_detection.core import target_assigner as target_assigner_lib

LOCALIZATION_LOSS_KEY = "Loss/RPNLoss/localization_loss"
OBJECTNESS_LOSS_KEY = "Loss/RPNLoss/objectness_loss"


@dataclasses.dataclass(frozen=True)
class RpnLossParams:
  """Settings of the RPN losses.

  Attributes:
    minibatch_size: anchors sampled per image (first_stage_minibatch_size).
    positive_fraction: largest fraction of positives among them
      (first_stage_positive_balance_fraction).
    localization_weight: first_stage_localization_loss_weight.
    objectness_weight: first_stage_objectness_loss_weight.
    static_sampling: use the sampler's static mode (exactly minibatch_size
      anchors; use_static_balanced_label_sampler with use_static_shapes).
  """
  minibatch_size: int = 256
  positive_fraction: float = 0.5
  localization_weight: float = 1.0
  objectness_weight: float = 1.0
  static_sampling: bool = False


class RpnLoss:
  """Computes the two RPN losses.

  Args:
    target_assigner: the proposal TargetAssigner.
    params: an RpnLossParams.
  """

  def __init__(self, target_assigner: target_assigner_lib.TargetAssigner,
               params: RpnLossParams):
    self._target_assigner = target_assigner
    self._params = params
    self._sampler = sampler_lib.BalancedPositiveNegativeSampler(
        params.positive_fraction, is_static=params.static_sampling)
    self._localization_loss = losses.WeightedSmoothL1LocalizationLoss()
    self._objectness_loss = losses.WeightedSoftmaxClassificationLoss()

  def __call__(self, box_encodings: tf.Tensor, objectness_logits: tf.Tensor,
               anchors: tf.Tensor,
               groundtruth_boxes_list: Sequence[tf.Tensor],
               groundtruth_weights_list: Sequence[tf.Tensor],
               valid_anchors: Optional[tf.Tensor] = None,
               losses_mask: Optional[tf.Tensor] = None
               ) -> Dict[str, tf.Tensor]:
    """Returns {LOCALIZATION_LOSS_KEY: scalar, OBJECTNESS_LOSS_KEY: scalar}.

    Args:
      box_encodings: float32 [batch, num_anchors, 4] predicted codes.
      objectness_logits: float32 [batch, num_anchors, 2] logits.
      anchors: float32 [num_anchors, 4] absolute anchors.
      groundtruth_boxes_list: batch float32 [num_gt_i, 4] absolute boxes.
      groundtruth_weights_list: batch float32 [num_gt_i] weights.
      valid_anchors: optional bool [num_anchors]; False anchors are never
        sampled.
      losses_mask: optional bool [batch]; False images contribute nothing.
    """
    with tf.name_scope("RPNLoss"):
      num_images = len(groundtruth_boxes_list)
      if valid_anchors is not None:
        # Invalid anchors take no part in matching (the TF OD API removes
        # them): a far-away unit box overlaps no groundtruth, so no
        # groundtruth is force-matched to it.
        far_box = tf.constant([-1e5, -1e5, -1e5 + 1, -1e5 + 1], tf.float32)
        anchors = tf.where(valid_anchors[:, tf.newaxis], anchors, far_box)
      cls_targets, cls_weights, reg_targets, reg_weights, _ = (
          target_assigner_lib.batch_assign_targets(
              self._target_assigner, box_list.BoxList(anchors),
              [box_list.BoxList(boxes) for boxes in groundtruth_boxes_list],
              [None] * num_images,
              gt_weights_batch=list(groundtruth_weights_list)))
      candidates = cls_weights[:, :, 0] > 0
      if valid_anchors is not None:
        candidates = tf.logical_and(candidates, valid_anchors[tf.newaxis])
      labels = cls_targets[:, :, 0] > 0
      sampled = tf.cast(tf.stack([
          self._sampler.subsample(image_candidates,
                                  self._params.minibatch_size, image_labels)
          for image_candidates, image_labels in zip(
              tf.unstack(candidates, num=num_images),
              tf.unstack(labels, num=num_images))]), tf.float32)
      normalizer = tf.maximum(tf.reduce_sum(sampled, axis=1), 1.0)
      localization = self._localization_loss(
          box_encodings, reg_targets, weights=sampled * reg_weights,
          losses_mask=losses_mask)
      objectness = self._objectness_loss(
          objectness_logits, tf.one_hot(tf.cast(labels, tf.int32), 2),
          weights=sampled[:, :, tf.newaxis], losses_mask=losses_mask)
      localization = tf.reduce_mean(
          tf.reduce_sum(localization, axis=1) / normalizer)
      objectness = tf.reduce_mean(
          tf.reduce_sum(objectness, axis=1) / normalizer)
      return {
          LOCALIZATION_LOSS_KEY: tf.multiply(
              self._params.localization_weight, localization,
              name="localization_loss"),
          OBJECTNESS_LOSS_KEY: tf.multiply(
              self._params.objectness_weight, objectness,
              name="objectness_loss"),
      }
