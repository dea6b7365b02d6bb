"""Second-stage (box classifier) losses, as in the TF Object Detection API.

Per image, each loss is summed over the sampled proposals and divided by
their number, then the per-image values are averaged over the batch:

  * localization: weighted smooth L1 (Huber, delta 1) between the refined
    box codes of the groundtruth class and the encoded groundtruth box, on
    positives only;
  * classification: the configured classification loss (softmax cross
    entropy by default) against one-hot targets with background at 0.

With a hard example miner, the per-proposal losses (already divided as
above) of each image are mined instead of summed over every proposal.
"""

import dataclasses
from typing import Dict, Optional

import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import losses
from object_detection.meta_architectures import proposal_sampler

LOCALIZATION_LOSS_KEY = "Loss/BoxClassifierLoss/localization_loss"
CLASSIFICATION_LOSS_KEY = "Loss/BoxClassifierLoss/classification_loss"


@dataclasses.dataclass(frozen=True)
class BoxClassifierLossParams:
  """Weights of the second-stage losses.

  Attributes:
    localization_weight: second_stage_localization_loss_weight.
    classification_weight: second_stage_classification_loss_weight.
  """
  localization_weight: float = 1.0
  classification_weight: float = 1.0


def select_class_encodings(refined_box_encodings: tf.Tensor,
                           class_targets: tf.Tensor) -> tf.Tensor:
  """Box codes of each proposal's target class.

  Args:
    refined_box_encodings: float32 [batch, S, q, 4]; q = num_classes, or 1
      for boxes shared across classes.
    class_targets: float32 [batch, S, num_classes + 1] one-hot, background
      at index 0.

  Returns:
    float32 [batch, S, 4]; for background targets the codes of class 0
    (they carry zero regression weight).
  """
  if refined_box_encodings.shape[2] == 1:
    return refined_box_encodings[:, :, 0, :]
  class_index = tf.maximum(
      tf.argmax(class_targets, axis=2, output_type=tf.int32) - 1, 0)
  return tf.gather(refined_box_encodings, class_index, axis=2, batch_dims=2)


class BoxClassifierLoss:
  """Computes the box classifier losses from sampled proposals.

  Args:
    classification_loss: a core.losses classification Loss (softmax or
      sigmoid) taking [batch, S, num_classes + 1] logits.
    params: a BoxClassifierLossParams.
    hard_example_miner: optional core.losses.HardExampleMiner.
  """

  def __init__(self, classification_loss: losses.Loss,
               params: BoxClassifierLossParams,
               hard_example_miner: Optional[losses.HardExampleMiner] = None):
    self._classification_loss = classification_loss
    self._localization_loss = losses.WeightedSmoothL1LocalizationLoss()
    self._params = params
    self._hard_example_miner = hard_example_miner

  def __call__(self, refined_box_encodings: tf.Tensor,
               class_predictions_with_background: tf.Tensor,
               targets: proposal_sampler.SampledProposals,
               losses_mask: Optional[tf.Tensor] = None
               ) -> Dict[str, tf.Tensor]:
    """Returns {LOCALIZATION_LOSS_KEY: scalar, CLASSIFICATION_LOSS_KEY: ...}.

    Args:
      refined_box_encodings: float32 [batch, S, q, 4] predicted codes.
      class_predictions_with_background: float32 [batch, S,
        num_classes + 1] logits.
      targets: the SampledProposals the predictions were made for.
      losses_mask: optional bool [batch]; False images contribute nothing.
    """
    with tf.name_scope("BoxClassifierLoss"):
      batch = tf.cast(tf.shape(targets.boxes)[0], tf.float32)
      normalizer = batch * tf.maximum(
          tf.cast(targets.num_sampled, tf.float32), 1.0)[:, tf.newaxis]
      encodings = select_class_encodings(refined_box_encodings,
                                         targets.class_targets)
      localization = self._localization_loss(
          encodings, targets.box_targets, weights=targets.box_weights,
          losses_mask=losses_mask) / normalizer
      class_weights = tf.broadcast_to(targets.class_weights[:, :, tf.newaxis],
                                      tf.shape(targets.class_targets))
      classification = self._classification_loss(
          class_predictions_with_background, targets.class_targets,
          weights=class_weights, losses_mask=losses_mask)
      if classification.shape.rank == 3:
        classification = tf.reduce_sum(classification, axis=2)
      classification = classification / normalizer
      if self._hard_example_miner is None:
        localization = tf.reduce_sum(localization)
        classification = tf.reduce_sum(classification)
      else:
        localization, classification = self._hard_example_miner(
            localization, classification,
            [box_list.BoxList(boxes) for boxes in tf.unstack(targets.boxes)])
      return {
          LOCALIZATION_LOSS_KEY: tf.multiply(
              self._params.localization_weight, localization,
              name="localization_loss"),
          CLASSIFICATION_LOSS_KEY: tf.multiply(
              self._params.classification_weight, classification,
              name="classification_loss"),
      }
