"""Builds losses, the hard example miner and the example sampler from a
`Loss` proto.

Supported localization losses: weighted_l2, weighted_smooth_l1,
weighted_iou. Supported classification losses: weighted_sigmoid,
weighted_softmax, weighted_logits_softmax, bootstrapped_sigmoid,
weighted_sigmoid_focal. `expected_loss_weights` must be NONE. The
`anchorwise_output` fields are accepted and have no effect: losses are
always returned per anchor (as in the TF OD API's TF2 code).
"""

from typing import Callable, Optional, Tuple

from object_detection.core import balanced_positive_negative_sampler
from object_detection.core import losses
from object_detection.protos import losses_pb2


def _weighted_smooth_l1(config, path: str) -> losses.Loss:
  if not config.delta > 0:
    raise ValueError("{}.delta: must be > 0, got {}".format(
        path, config.delta))
  return losses.WeightedSmoothL1LocalizationLoss(delta=config.delta)


_LOCALIZATION_LOSSES = {
    "weighted_l2": lambda config, path: losses.WeightedL2LocalizationLoss(),
    "weighted_smooth_l1": _weighted_smooth_l1,
    "weighted_iou": lambda config, path: losses.WeightedIOULocalizationLoss(),
}


def _logit_scale(config, path: str) -> float:
  if not config.logit_scale > 0:
    raise ValueError("{}.logit_scale: must be > 0, got {}".format(
        path, config.logit_scale))
  return config.logit_scale


def _focal(config, path: str) -> losses.Loss:
  alpha = config.alpha if config.HasField("alpha") else None
  if alpha is not None and not 0.0 <= alpha <= 1.0:
    raise ValueError("{}.alpha: must be in [0, 1], got {}".format(path, alpha))
  if config.gamma < 0:
    raise ValueError("{}.gamma: must be >= 0, got {}".format(
        path, config.gamma))
  return losses.SigmoidFocalClassificationLoss(gamma=config.gamma,
                                               alpha=alpha)


def _bootstrapped(config, path: str) -> losses.Loss:
  if not 0.0 <= config.alpha <= 1.0:
    raise ValueError("{}.alpha: must be in [0, 1], got {}".format(
        path, config.alpha))
  return losses.BootstrappedSigmoidClassificationLoss(
      alpha=config.alpha,
      bootstrap_type="hard" if config.hard_bootstrap else "soft")


_CLASSIFICATION_LOSSES = {
    "weighted_sigmoid":
        lambda config, path: losses.WeightedSigmoidClassificationLoss(),
    "weighted_softmax": lambda config, path: (
        losses.WeightedSoftmaxClassificationLoss(
            logit_scale=_logit_scale(config, path))),
    "weighted_logits_softmax": lambda config, path: (
        losses.WeightedSoftmaxClassificationAgainstLogitsLoss(
            logit_scale=_logit_scale(config, path))),
    "bootstrapped_sigmoid": _bootstrapped,
    "weighted_sigmoid_focal": _focal,
}

# Classification losses that the Faster R-CNN box classifier accepts.
_FASTER_RCNN_CLASSIFICATION_LOSSES = (
    "weighted_sigmoid", "weighted_softmax", "weighted_logits_softmax",
    "weighted_sigmoid_focal")


def _build_from_oneof(config, oneof: str, table, path: str) -> losses.Loss:
  kind = config.WhichOneof(oneof)
  if kind is None:
    raise ValueError("{}: must be set to one of: {}".format(
        path, ", ".join(table)))
  if kind not in table:
    raise ValueError("{}.{}: not supported; supported: {}".format(
        path, kind, ", ".join(table)))
  return table[kind](getattr(config, kind), "{}.{}".format(path, kind))


def build(loss_config: losses_pb2.Loss, *, path: str = "loss"
          ) -> Tuple[losses.Loss, losses.Loss, float, float,
                     Optional[losses.HardExampleMiner],
                     Optional[balanced_positive_negative_sampler
                              .BalancedPositiveNegativeSampler],
                     Optional[Callable]]:
  """Builds everything a `Loss` message describes.

  Args:
    loss_config: a losses_pb2.Loss.
    path: config path of the message, used in error messages.

  Returns:
    classification_loss: a Loss.
    localization_loss: a Loss.
    classification_weight: float.
    localization_weight: float.
    hard_example_miner: a HardExampleMiner or None.
    random_example_sampler: a BalancedPositiveNegativeSampler or None.
    expected_loss_weights_fn: always None (only NONE is supported).

  Raises:
    TypeError: if loss_config is not a losses_pb2.Loss.
    ValueError: for missing, unsupported or out-of-range fields; the
      message names the field.
  """
  if not isinstance(loss_config, losses_pb2.Loss):
    raise TypeError("{}: expected a Loss message, got {}".format(
        path, type(loss_config).__name__))
  classification_loss = _build_from_oneof(
      loss_config.classification_loss, "classification_loss",
      _CLASSIFICATION_LOSSES, path + ".classification_loss")
  localization_loss = _build_from_oneof(
      loss_config.localization_loss, "localization_loss",
      _LOCALIZATION_LOSSES, path + ".localization_loss")
  hard_example_miner = None
  if loss_config.HasField("hard_example_miner"):
    if (loss_config.classification_loss.WhichOneof("classification_loss")
        == "weighted_sigmoid_focal"):
      raise ValueError(
          "{}.hard_example_miner: cannot be used with the "
          "weighted_sigmoid_focal classification loss".format(path))
    hard_example_miner = build_hard_example_miner(
        loss_config.hard_example_miner, loss_config.classification_weight,
        loss_config.localization_weight,
        path=path + ".hard_example_miner")
  random_example_sampler = None
  if loss_config.HasField("random_example_sampler"):
    fraction = loss_config.random_example_sampler.positive_sample_fraction
    if not 0.0 < fraction <= 1.0:
      raise ValueError(
          "{}.random_example_sampler.positive_sample_fraction: must be in "
          "(0, 1], got {}".format(path, fraction))
    random_example_sampler = (
        balanced_positive_negative_sampler.BalancedPositiveNegativeSampler(
            positive_fraction=fraction))
  if loss_config.expected_loss_weights != losses_pb2.Loss.NONE:
    raise ValueError(
        "{}.expected_loss_weights: {} is not supported; only NONE".format(
            path, losses_pb2.Loss.ExpectedLossWeights.Name(
                loss_config.expected_loss_weights)))
  return (classification_loss, localization_loss,
          loss_config.classification_weight, loss_config.localization_weight,
          hard_example_miner, random_example_sampler, None)


_LOSS_TYPES = {
    losses_pb2.HardExampleMiner.BOTH: "both",
    losses_pb2.HardExampleMiner.CLASSIFICATION: "cls",
    losses_pb2.HardExampleMiner.LOCALIZATION: "loc",
}


def build_hard_example_miner(config: losses_pb2.HardExampleMiner,
                             classification_weight: float,
                             localization_weight: float, *,
                             path: str = "hard_example_miner"
                             ) -> losses.HardExampleMiner:
  """Builds a HardExampleMiner.

  num_hard_examples <= 0 means no limit; max_negatives_per_positive <= 0
  means no negative cap.

  Args:
    config: a losses_pb2.HardExampleMiner.
    classification_weight: weight of classification losses when ranking.
    localization_weight: weight of localization losses when ranking.
    path: config path of the message, used in error messages.

  Returns:
    a HardExampleMiner.

  Raises:
    TypeError: for a message of another type.
    ValueError: if iou_threshold is outside [0, 1] or
      min_negatives_per_image < 0.
  """
  if not isinstance(config, losses_pb2.HardExampleMiner):
    raise TypeError("{}: expected a HardExampleMiner message, got {}".format(
        path, type(config).__name__))
  if not 0.0 <= config.iou_threshold <= 1.0:
    raise ValueError("{}.iou_threshold: must be in [0, 1], got {}".format(
        path, config.iou_threshold))
  if config.min_negatives_per_image < 0:
    raise ValueError("{}.min_negatives_per_image: must be >= 0, got {}".format(
        path, config.min_negatives_per_image))
  return losses.HardExampleMiner(
      num_hard_examples=(config.num_hard_examples
                         if config.num_hard_examples > 0 else None),
      iou_threshold=config.iou_threshold,
      loss_type=_LOSS_TYPES[config.loss_type],
      cls_loss_weight=classification_weight,
      loc_loss_weight=localization_weight,
      max_negatives_per_positive=(config.max_negatives_per_positive
                                  if config.max_negatives_per_positive > 0
                                  else None),
      min_negatives_per_image=config.min_negatives_per_image)


def build_faster_rcnn_classification_loss(
    loss_config: losses_pb2.ClassificationLoss, *,
    path: str = "second_stage_classification_loss") -> losses.Loss:
  """Builds the classification loss of the Faster R-CNN box classifier.

  An unset message gives WeightedSoftmaxClassificationLoss (logit_scale
  1), the TF OD API default.

  Args:
    loss_config: a losses_pb2.ClassificationLoss.
    path: config path of the message, used in error messages.

  Returns:
    a Loss.

  Raises:
    TypeError: for a message of another type.
    ValueError: if the loss set is not one of weighted_sigmoid,
      weighted_softmax, weighted_logits_softmax, weighted_sigmoid_focal, or
      a value is out of range.
  """
  if not isinstance(loss_config, losses_pb2.ClassificationLoss):
    raise TypeError("{}: expected a ClassificationLoss message, got {}".format(
        path, type(loss_config).__name__))
  kind = loss_config.WhichOneof("classification_loss")
  if kind is None:
    return losses.WeightedSoftmaxClassificationLoss()
  if kind not in _FASTER_RCNN_CLASSIFICATION_LOSSES:
    raise ValueError("{}.{}: not supported; supported: {}".format(
        path, kind, ", ".join(_FASTER_RCNN_CLASSIFICATION_LOSSES)))
  return _CLASSIFICATION_LOSSES[kind](getattr(loss_config, kind),
                                      "{}.{}".format(path, kind))
