"""Detection losses, computed per anchor (or per anchor and class).

Every loss is a callable object:

    loss(prediction_tensor, target_tensor, weights=..., ...)

with prediction and target of shape [batch_size, num_anchors, ...]. The
result is NOT reduced over anchors: localization losses return
[batch_size, num_anchors]; sigmoid classification losses return
[batch_size, num_anchors, num_classes]; softmax classification losses
return [batch_size, num_anchors]. Callers normalise and sum.

`ignore_nan_targets=True` replaces NaN targets by the prediction (zero
loss there); `losses_mask` (bool [batch_size]) zeroes whole images.

`HardExampleMiner` selects, per image, the highest-loss anchors subject to
non-maximum suppression on their boxes, and returns summed losses.
"""

import abc
from typing import List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import box_list_ops
from object_detection.core import matcher as matcher_lib


class Loss(abc.ABC):
  """Base class: NaN-target and per-image masking, then `_compute_loss`."""

  def __call__(self, prediction_tensor: tf.Tensor, target_tensor: tf.Tensor,
               ignore_nan_targets: bool = False,
               losses_mask: Optional[tf.Tensor] = None,
               scope: Optional[str] = None, **params) -> tf.Tensor:
    """Computes the loss.

    Args:
      prediction_tensor: float32 [batch_size, num_anchors, ...] predictions.
      target_tensor: float32 tensor of the same shape, the targets.
      ignore_nan_targets: if True, NaN targets are replaced by the
        prediction so they contribute no loss.
      losses_mask: optional bool [batch_size]; images with False contribute
        no loss (their predictions, targets and weights are zeroed).
      scope: optional name scope.
      **params: loss-specific arguments, usually `weights`.

    Returns:
      the unreduced loss tensor; see each subclass.
    """
    with tf.name_scope(scope or type(self).__name__):
      prediction_tensor = tf.convert_to_tensor(prediction_tensor)
      target_tensor = tf.convert_to_tensor(target_tensor)
      if ignore_nan_targets:
        target_tensor = tf.where(tf.math.is_nan(target_tensor),
                                 prediction_tensor, target_tensor)
      if losses_mask is not None:
        prediction_tensor *= _per_image_multiplier(prediction_tensor,
                                                   losses_mask)
        target_tensor *= _per_image_multiplier(target_tensor, losses_mask)
        if "weights" in params:
          weights = tf.convert_to_tensor(params["weights"], tf.float32)
          params["weights"] = weights * _per_image_multiplier(weights,
                                                              losses_mask)
      return self._compute_loss(prediction_tensor, target_tensor, **params)

  @abc.abstractmethod
  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor, **params) -> tf.Tensor:
    """Loss-specific computation; see `__call__`."""


def _per_image_multiplier(tensor: tf.Tensor,
                          losses_mask: tf.Tensor) -> tf.Tensor:
  """float32 [batch_size, 1, ..., 1] (rank of tensor) from a bool mask."""
  rank = tensor.shape.rank
  return tf.reshape(tf.cast(losses_mask, tensor.dtype),
                    [-1] + [1] * (rank - 1))


class WeightedL2LocalizationLoss(Loss):
  """0.5 * sum over code entries of (weight * (prediction - target))^2.

  Call with weights float32 [batch_size, num_anchors]; returns float32
  [batch_size, num_anchors].
  """

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor,
                    weights: tf.Tensor) -> tf.Tensor:
    weighted_diff = (prediction_tensor - target_tensor) * tf.expand_dims(
        weights, 2)
    return tf.reduce_sum(0.5 * tf.square(weighted_diff), axis=2)


class WeightedSmoothL1LocalizationLoss(Loss):
  """Huber loss summed over code entries, times the anchor weight.

  Per entry with x = prediction - target: 0.5 * x^2 if |x| <= delta, else
  delta * (|x| - 0.5 * delta). Call with weights float32
  [batch_size, num_anchors]; returns float32 [batch_size, num_anchors].

  Args:
    delta: the point where the loss turns from quadratic to linear, > 0.
  """

  def __init__(self, delta: float = 1.0):
    if not delta > 0:
      raise ValueError(
          "WeightedSmoothL1LocalizationLoss: delta must be > 0, got "
          "{}".format(delta))
    self._delta = float(delta)

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor,
                    weights: tf.Tensor) -> tf.Tensor:
    abs_diff = tf.abs(prediction_tensor - target_tensor)
    quadratic = tf.minimum(abs_diff, self._delta)
    linear = abs_diff - quadratic
    huber = 0.5 * tf.square(quadratic) + self._delta * linear
    return tf.reduce_sum(huber, axis=2) * weights


class WeightedIOULocalizationLoss(Loss):
  """1 - IoU of predicted and target boxes, times the anchor weight.

  Predictions and targets are decoded boxes float32
  [batch_size, num_anchors, 4]; call with weights float32
  [batch_size, num_anchors]; returns float32 [batch_size, num_anchors].
  """

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor,
                    weights: tf.Tensor) -> tf.Tensor:
    predicted = box_list.BoxList(tf.reshape(prediction_tensor, [-1, 4]))
    target = box_list.BoxList(tf.reshape(target_tensor, [-1, 4]))
    per_anchor = 1.0 - box_list_ops.matched_iou(predicted, target)
    return tf.reshape(per_anchor, tf.shape(weights)) * weights


def _class_indicator_weights(weights: tf.Tensor,
                             class_indices: Optional[tf.Tensor],
                             prediction_tensor: tf.Tensor) -> tf.Tensor:
  """Zeroes the weights of classes not in class_indices (None: keeps all).

  Args:
    weights: float32 [batch_size, num_anchors, num_classes or 1].
    class_indices: optional int32 [K], the classes that count.
    prediction_tensor: float32 [batch_size, num_anchors, num_classes].

  Returns:
    float32 weights, broadcast to [batch_size, num_anchors, num_classes]
    when class_indices is given, else the weights unchanged.
  """
  if class_indices is None:
    return weights
  num_classes = tf.shape(prediction_tensor)[2]
  indicator = tf.reduce_max(
      tf.one_hot(class_indices, num_classes, dtype=weights.dtype), axis=0)
  return weights * tf.reshape(indicator, [1, 1, -1])


class WeightedSigmoidClassificationLoss(Loss):
  """Per-class sigmoid cross entropy, times the weights.

  Call with prediction (logits) and target float32
  [batch_size, num_anchors, num_classes], weights float32
  [batch_size, num_anchors, num_classes] or [batch_size, num_anchors, 1],
  and optionally class_indices (int32 [K]: only these classes count).
  Returns float32 [batch_size, num_anchors, num_classes].
  """

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor, weights: tf.Tensor,
                    class_indices: Optional[tf.Tensor] = None) -> tf.Tensor:
    weights = _class_indicator_weights(weights, class_indices,
                                       prediction_tensor)
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=target_tensor, logits=prediction_tensor) * weights


class SigmoidFocalClassificationLoss(Loss):
  """Focal loss (Lin et al. 2017) on per-class sigmoids.

  loss = alpha_t * (1 - p_t)^gamma * sigmoid_cross_entropy, with p_t the
  probability given to the target and alpha_t = alpha for positive targets,
  1 - alpha for negative ones. Shapes as WeightedSigmoidClassificationLoss.

  Args:
    gamma: focusing exponent >= 0 (0 gives plain cross entropy).
    alpha: positive-class weight in [0, 1], or None for no alpha weighting.
  """

  def __init__(self, gamma: float = 2.0, alpha: Optional[float] = 0.25):
    self._gamma = float(gamma)
    self._alpha = None if alpha is None else float(alpha)

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor, weights: tf.Tensor,
                    class_indices: Optional[tf.Tensor] = None) -> tf.Tensor:
    weights = _class_indicator_weights(weights, class_indices,
                                       prediction_tensor)
    cross_entropy = tf.nn.sigmoid_cross_entropy_with_logits(
        labels=target_tensor, logits=prediction_tensor)
    probabilities = tf.sigmoid(prediction_tensor)
    p_t = (target_tensor * probabilities
           + (1.0 - target_tensor) * (1.0 - probabilities))
    loss = cross_entropy
    if self._gamma:
      loss *= tf.pow(1.0 - p_t, self._gamma)
    if self._alpha is not None:
      loss *= (target_tensor * self._alpha
               + (1.0 - target_tensor) * (1.0 - self._alpha))
    return loss * weights


class _ScaledSoftmaxLoss(Loss):
  """Softmax cross entropy of logits / logit_scale against `_labels(target)`.

  Shapes and arguments: see WeightedSoftmaxClassificationLoss.
  """

  def __init__(self, logit_scale: float = 1.0):
    if not logit_scale > 0:
      raise ValueError("{}: logit_scale must be > 0, got {}".format(
          type(self).__name__, logit_scale))
    self._logit_scale = float(logit_scale)

  @abc.abstractmethod
  def _labels(self, target_tensor: tf.Tensor) -> tf.Tensor:
    """float32 [batch_size, num_anchors, num_classes] label distributions."""

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor,
                    weights: tf.Tensor) -> tf.Tensor:
    weights = tf.reduce_mean(weights, axis=2)
    cross_entropy = tf.nn.softmax_cross_entropy_with_logits(
        labels=self._labels(target_tensor),
        logits=prediction_tensor / self._logit_scale, axis=-1)
    return cross_entropy * weights


class WeightedSoftmaxClassificationLoss(_ScaledSoftmaxLoss):
  """Softmax cross entropy over classes, times the mean class weight.

  Call with prediction (logits) and target (one-hot or soft labels) float32
  [batch_size, num_anchors, num_classes] and weights float32
  [batch_size, num_anchors, num_classes] or [batch_size, num_anchors, 1]
  (averaged over the last axis). Returns float32 [batch_size, num_anchors].

  Args:
    logit_scale: logits are divided by this before the softmax (> 0).

  Raises:
    ValueError: if logit_scale is not > 0.
  """

  def _labels(self, target_tensor: tf.Tensor) -> tf.Tensor:
    return target_tensor


class WeightedSoftmaxClassificationAgainstLogitsLoss(_ScaledSoftmaxLoss):
  """Softmax cross entropy against the softmax of target logits.

  Both prediction and target are logits [batch_size, num_anchors,
  num_classes], both divided by logit_scale; weights as
  WeightedSoftmaxClassificationLoss. Returns float32
  [batch_size, num_anchors].

  Args:
    logit_scale: divisor of both logits (> 0).
  """

  def _labels(self, target_tensor: tf.Tensor) -> tf.Tensor:
    return tf.nn.softmax(target_tensor / self._logit_scale, axis=-1)


class BootstrappedSigmoidClassificationLoss(Loss):
  """Sigmoid cross entropy against targets mixed with the predictions.

  target' = alpha * target + (1 - alpha) * q, with q = sigmoid(prediction)
  ("soft") or q = 1[sigmoid(prediction) > 0.5] ("hard"), Reed et al. 2014.
  Shapes as WeightedSigmoidClassificationLoss.

  Args:
    alpha: weight of the original targets, in [0, 1].
    bootstrap_type: "soft" or "hard".

  Raises:
    ValueError: for another bootstrap_type.
  """

  def __init__(self, alpha: float, bootstrap_type: str = "soft"):
    if bootstrap_type not in ("soft", "hard"):
      raise ValueError(
          "BootstrappedSigmoidClassificationLoss: bootstrap_type must be "
          "'soft' or 'hard', got {!r}".format(bootstrap_type))
    self._alpha = float(alpha)
    self._bootstrap_type = bootstrap_type

  def _compute_loss(self, prediction_tensor: tf.Tensor,
                    target_tensor: tf.Tensor,
                    weights: tf.Tensor) -> tf.Tensor:
    probabilities = tf.sigmoid(prediction_tensor)
    if self._bootstrap_type == "hard":
      probabilities = tf.cast(probabilities > 0.5, tf.float32)
    mixed = self._alpha * target_tensor + (1.0 - self._alpha) * probabilities
    return tf.nn.sigmoid_cross_entropy_with_logits(
        labels=mixed, logits=prediction_tensor) * weights


class HardExampleMiner:
  """Online hard example mining over the anchors (or proposals) of images.

  Per image: rank anchors by loss ("cls", "loc" or the weighted sum for
  "both"), keep at most num_hard_examples of them with greedy NMS on their
  boxes at iou_threshold, optionally cap negatives at
  max_negatives_per_positive per positive (at least min_negatives_per_image),
  and sum the kept losses.

  Args:
    num_hard_examples: most anchors kept per image before the negative cap;
      None keeps every anchor NMS keeps.
    iou_threshold: NMS IoU threshold (1.0 disables suppression).
    loss_type: "cls", "loc" or "both".
    cls_loss_weight: classification weight in the "both" ranking.
    loc_loss_weight: localization weight in the "both" ranking.
    max_negatives_per_positive: float, or None for no cap.
    min_negatives_per_image: negatives always allowed per image.

  Raises:
    ValueError: for an unknown loss_type.
  """

  def __init__(self,
               num_hard_examples: Optional[int] = 64,
               iou_threshold: float = 0.7,
               loss_type: str = "both",
               cls_loss_weight: float = 0.05,
               loc_loss_weight: float = 0.06,
               max_negatives_per_positive: Optional[float] = None,
               min_negatives_per_image: int = 0):
    if loss_type not in ("cls", "loc", "both"):
      raise ValueError(
          "HardExampleMiner: loss_type must be 'cls', 'loc' or 'both', got "
          "{!r}".format(loss_type))
    self._num_hard_examples = num_hard_examples
    self._iou_threshold = float(iou_threshold)
    self._loss_type = loss_type
    self._cls_loss_weight = float(cls_loss_weight)
    self._loc_loss_weight = float(loc_loss_weight)
    self._max_negatives_per_positive = (
        None if max_negatives_per_positive is None
        else float(max_negatives_per_positive))
    self._min_negatives_per_image = int(min_negatives_per_image)
    self._num_positives_list: Optional[List[tf.Tensor]] = None
    self._num_negatives_list: Optional[List[tf.Tensor]] = None

  def __call__(self, location_losses: tf.Tensor, cls_losses: tf.Tensor,
               decoded_boxlist_list: Sequence[box_list.BoxList],
               match_list: Optional[Sequence[matcher_lib.Match]] = None
               ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Mines hard examples and returns their summed losses.

    Args:
      location_losses: float32 [num_images, num_anchors].
      cls_losses: float32 [num_images, num_anchors].
      decoded_boxlist_list: num_images BoxLists of num_anchors predicted
        boxes, used for NMS.
      match_list: optional num_images Match objects telling positives
        (matched) and negatives (unmatched); needed for the negative cap.

    Returns:
      mined_location_loss: float32 scalar, sum over kept anchors.
      mined_cls_loss: float32 scalar, sum over kept anchors.

    Raises:
      ValueError: if the number of images disagrees between arguments.
    """
    num_images = len(decoded_boxlist_list)
    location_losses = tf.unstack(location_losses, num=num_images)
    cls_losses = tf.unstack(cls_losses, num=num_images)
    if not match_list:
      match_list = [None] * num_images
    if len(match_list) != num_images:
      raise ValueError(
          "HardExampleMiner: match_list has {} entries for {} images".format(
              len(match_list), num_images))
    mined_location, mined_cls = [], []
    num_positives_list, num_negatives_list = [], []
    for index, boxlist in enumerate(decoded_boxlist_list):
      image_losses = self._ranking_losses(location_losses[index],
                                          cls_losses[index])
      max_selected = (boxlist.num_boxes() if self._num_hard_examples is None
                      else self._num_hard_examples)
      selected = tf.image.non_max_suppression(
          boxlist.get(), image_losses, max_selected, self._iou_threshold)
      match = match_list[index]
      if self._max_negatives_per_positive is not None and match is not None:
        selected, num_positives, num_negatives = self._cap_negatives(
            selected, match)
        num_positives_list.append(num_positives)
        num_negatives_list.append(num_negatives)
      mined_location.append(
          tf.reduce_sum(tf.gather(location_losses[index], selected)))
      mined_cls.append(tf.reduce_sum(tf.gather(cls_losses[index], selected)))
    if num_positives_list:
      self._num_positives_list = num_positives_list
      self._num_negatives_list = num_negatives_list
    return (tf.reduce_sum(tf.stack(mined_location)),
            tf.reduce_sum(tf.stack(mined_cls)))

  def _ranking_losses(self, location_losses: tf.Tensor,
                      cls_losses: tf.Tensor) -> tf.Tensor:
    """float32 [num_anchors] losses that rank anchors for mining."""
    if self._loss_type == "loc":
      return location_losses
    if self._loss_type == "cls":
      return cls_losses
    return (cls_losses * self._cls_loss_weight
            + location_losses * self._loc_loss_weight)

  def _cap_negatives(self, indices: tf.Tensor, match: matcher_lib.Match
                     ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Keeps all positives and the first K negatives of `indices`.

    K = max(min_negatives_per_image,
            floor(max_negatives_per_positive * num_positives)).

    Args:
      indices: int32 [M] selected anchor indices, best first.
      match: Match of the image.

    Returns:
      int32 [M'] kept indices, int32 number of positives, int32 number of
      negatives among them.
    """
    positive = tf.gather(match.matched_column_indicator(), indices)
    negative = tf.gather(match.unmatched_column_indicator(), indices)
    num_positives = tf.reduce_sum(tf.cast(positive, tf.int32))
    max_negatives = tf.maximum(
        self._min_negatives_per_image,
        tf.cast(self._max_negatives_per_positive
                * tf.cast(num_positives, tf.float32), tf.int32))
    # As in the TF OD API, an entry is kept while the running count of
    # negatives is within the cap; this also keeps ignored (-2) anchors
    # that come before the cap is reached, and counts them as negatives.
    within_cap = tf.cumsum(tf.cast(negative, tf.int32)) <= max_negatives
    keep = tf.logical_or(positive, within_cap)
    kept = tf.boolean_mask(indices, keep)
    return kept, num_positives, tf.size(kept) - num_positives

  def summarize(self) -> None:
    """Writes the mean numbers of mined positives and negatives as scalars.

    Uses the default summary writer (tf.summary); does nothing if the last
    call did not cap negatives.
    """
    if self._num_positives_list and self._num_negatives_list:
      tf.summary.scalar("HardExampleMiner/NumPositives", tf.reduce_mean(
          tf.cast(tf.stack(self._num_positives_list), tf.float32)))
      tf.summary.scalar("HardExampleMiner/NumNegatives", tf.reduce_mean(
          tf.cast(tf.stack(self._num_negatives_list), tf.float32)))
