"""Second-stage training targets: assign proposals to groundtruth and sample.

Per image (TF OD API semantics): every valid proposal is matched to the
groundtruth with the detection target assigner (IoU >= 0.5 positive, below
negative); a balanced sampler then draws up to `batch_size` of them with at
most `positive_fraction` positives. The sampled proposals come out in a
fixed-size [batch, batch_size] layout with the POSITIVES FIRST, so that the
mask head can run on the first `max_positives` slots only.

Boxes are normalised [ymin, xmin, ymax, xmax]; IoU and the Faster R-CNN box
encoding are invariant to per-axis scaling, so assigning in normalised
coordinates equals the TF OD API's assignment in pixels.
"""

from typing import List, NamedTuple, Sequence

import tensorflow as tf

from object_detection.core import balanced_positive_negative_sampler as sampler_lib
from object_detection.core import box_list
from object_detection.core import target_assigner as target_assigner_lib


class SampledProposals(NamedTuple):
  """Sampled second-stage proposals and their targets.

  S = batch_size slots per image, positives first; K = num_classes.

  Attributes:
    boxes: float32 [batch, S, 4] normalised proposal boxes (zeros in empty
      slots).
    num_sampled: int32 [batch] filled slots.
    class_targets: float32 [batch, S, K + 1] one-hot targets, background at
      index 0.
    class_weights: float32 [batch, S] classification weights (0 in empty
      slots).
    box_targets: float32 [batch, S, 4] encoded groundtruth boxes.
    box_weights: float32 [batch, S] regression weights (positives only).
    matched_gt_indices: int32 [batch, S] index of the matched groundtruth
      within its image; 0 for negatives and empty slots.
    is_positive: bool [batch, S].
  """
  boxes: tf.Tensor
  num_sampled: tf.Tensor
  class_targets: tf.Tensor
  class_weights: tf.Tensor
  box_targets: tf.Tensor
  box_weights: tf.Tensor
  matched_gt_indices: tf.Tensor
  is_positive: tf.Tensor


class ProposalSampler:
  """Assigns targets to proposals and samples a balanced minibatch.

  Args:
    target_assigner: the detection TargetAssigner (IoU, ArgMaxMatcher 0.5,
      FasterRcnnBoxCoder).
    num_classes: number of classes K, background excluded.
    batch_size: proposals sampled per image (second_stage_batch_size).
    positive_fraction: largest fraction of positives
      (second_stage_balance_fraction), in (0, 1].
    static_sampling: use the sampler's static mode (see
      BalancedPositiveNegativeSampler).

  Raises:
    ValueError: for a non-positive batch_size or num_classes.
  """

  def __init__(self, target_assigner: target_assigner_lib.TargetAssigner,
               num_classes: int, batch_size: int, positive_fraction: float,
               static_sampling: bool = False):
    if batch_size <= 0:
      raise ValueError("ProposalSampler: batch_size must be > 0, got "
                       "{}".format(batch_size))
    if num_classes <= 0:
      raise ValueError("ProposalSampler: num_classes must be > 0, got "
                       "{}".format(num_classes))
    self._target_assigner = target_assigner
    self._num_classes = num_classes
    self._batch_size = batch_size
    self._sampler = sampler_lib.BalancedPositiveNegativeSampler(
        positive_fraction, is_static=static_sampling)
    self._max_positives = max(int(positive_fraction * batch_size), 1)

  @property
  def batch_size(self) -> int:
    """Sampled slots per image."""
    return self._batch_size

  @property
  def max_positives(self) -> int:
    """Most positives per image: slots [0, max_positives) hold them."""
    return min(self._max_positives, self._batch_size)

  def __call__(self, proposal_boxes: tf.Tensor, num_proposals: tf.Tensor,
               groundtruth_boxes_list: Sequence[tf.Tensor],
               groundtruth_classes_list: Sequence[tf.Tensor],
               groundtruth_weights_list: Sequence[tf.Tensor],
               sample: bool = True) -> SampledProposals:
    """Samples proposals for every image of the batch.

    With sample=False every valid proposal is kept, in input order, and the
    result has max_proposals slots (used by hard example mining and for
    losses of inference-mode predictions).

    Args:
      proposal_boxes: float32 [batch, max_proposals, 4] normalised.
      num_proposals: int32 [batch] valid proposals per image.
      groundtruth_boxes_list: batch float32 [num_gt_i, 4] normalised boxes.
      groundtruth_classes_list: batch float32 [num_gt_i, K] one-hot
        classes (background excluded).
      groundtruth_weights_list: batch float32 [num_gt_i] weights.
      sample: whether to sample (True) or keep every proposal (False).

    Returns:
      SampledProposals.
    """
    with tf.name_scope("ProposalSampler"):
      per_image = [
          self._sample_image(boxes, count, gt_boxes, gt_classes, gt_weights,
                             sample)
          for boxes, count, gt_boxes, gt_classes, gt_weights in zip(
              tf.unstack(proposal_boxes, num=len(groundtruth_boxes_list)),
              tf.unstack(num_proposals, num=len(groundtruth_boxes_list)),
              groundtruth_boxes_list, groundtruth_classes_list,
              groundtruth_weights_list)]
      return SampledProposals(*[tf.stack(list(parts))
                                for parts in zip(*per_image)])

  def _sample_image(self, boxes: tf.Tensor, num_valid: tf.Tensor,
                    gt_boxes: tf.Tensor, gt_classes: tf.Tensor,
                    gt_weights: tf.Tensor, sample: bool) -> List[tf.Tensor]:
    """The SampledProposals fields of one image (without batch dim)."""
    gt_classes_with_background = tf.pad(gt_classes, [[0, 0], [1, 0]])
    unmatched = tf.one_hot(0, self._num_classes + 1)
    cls_targets, cls_weights, reg_targets, reg_weights, match = (
        self._target_assigner.assign(
            box_list.BoxList(boxes), box_list.BoxList(gt_boxes),
            gt_classes_with_background, unmatched_class_label=unmatched,
            groundtruth_weights=gt_weights))
    cls_weights = tf.reduce_mean(cls_weights, axis=1)
    num_boxes = tf.shape(boxes)[0]
    candidate = tf.logical_and(tf.range(num_boxes) < num_valid,
                               cls_weights > 0)
    positive = tf.argmax(cls_targets, axis=1, output_type=tf.int32) > 0
    if sample:
      order, filled = self._positives_first(
          self._sampler.subsample(candidate, self._batch_size, positive),
          positive)
    else:
      order = tf.range(num_boxes)
      filled = order < num_valid
    filled_float = tf.cast(filled, tf.float32)

    def take(values: tf.Tensor, empty_value=0) -> tf.Tensor:
      picked = tf.gather(values, order)
      mask = tf.reshape(filled, [-1] + [1] * (values.shape.rank - 1))
      return tf.where(mask, picked, tf.cast(empty_value, values.dtype))

    return [
        take(boxes),
        tf.reduce_sum(tf.cast(filled, tf.int32)),
        take(cls_targets, unmatched),
        take(cls_weights) * filled_float,
        take(reg_targets),
        take(reg_weights) * filled_float,
        take(tf.maximum(match, 0)),
        tf.logical_and(take(positive), filled),
    ]

  def _positives_first(self, sampled: tf.Tensor, positive: tf.Tensor):
    """Indices [batch_size] of the sampled entries, positives first.

    Returns the indices and bool [batch_size] telling filled slots.
    """
    # Sort key 2 for sampled positives, 1 for sampled negatives, 0 for the
    # rest; top_k keeps input order among equal keys.
    key = (tf.cast(tf.logical_and(sampled, positive), tf.int32) * 2
           + tf.cast(tf.logical_and(sampled, tf.logical_not(positive)),
                     tf.int32))
    padded_key = tf.pad(key, [[0, self._batch_size]])
    key_values, order = tf.math.top_k(padded_key, k=self._batch_size)
    filled = key_values > 0
    return tf.where(filled, order, 0), filled
