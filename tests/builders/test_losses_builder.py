"""Tests for object_detection/builders/losses_builder.py."""

import pytest
from google.protobuf import text_format

from object_detection.builders import losses_builder
from object_detection.core import balanced_positive_negative_sampler
from object_detection.core import losses
from object_detection.protos import losses_pb2

_BASE = """
  localization_loss { weighted_smooth_l1 { delta: 0.5 } }
  classification_loss { weighted_softmax { logit_scale: 2.0 } }
"""


def _parse(text):
  return text_format.Parse(text, losses_pb2.Loss())


def test_build_returns_the_seven_parts():
  (cls_loss, loc_loss, cls_weight, loc_weight, miner, sampler,
   expected_fn) = losses_builder.build(_parse(_BASE + """
      classification_weight: 2.0 localization_weight: 0.5
      hard_example_miner { num_hard_examples: 32 iou_threshold: 0.6
                           loss_type: CLASSIFICATION
                           max_negatives_per_positive: 3 }
      random_example_sampler { positive_sample_fraction: 0.25 }"""))
  assert isinstance(cls_loss, losses.WeightedSoftmaxClassificationLoss)
  assert isinstance(loc_loss, losses.WeightedSmoothL1LocalizationLoss)
  assert (cls_weight, loc_weight) == (2.0, 0.5)
  assert isinstance(miner, losses.HardExampleMiner)
  assert isinstance(
      sampler,
      balanced_positive_negative_sampler.BalancedPositiveNegativeSampler)
  assert expected_fn is None


def test_without_miner_and_sampler():
  parts = losses_builder.build(_parse(_BASE))
  assert parts[4] is None and parts[5] is None
  assert parts[2:4] == (1.0, 1.0)


@pytest.mark.parametrize("text, expected", [
    ("weighted_sigmoid {}", losses.WeightedSigmoidClassificationLoss),
    ("weighted_sigmoid_focal { gamma: 1.0 alpha: 0.5 }",
     losses.SigmoidFocalClassificationLoss),
    ("weighted_logits_softmax {}",
     losses.WeightedSoftmaxClassificationAgainstLogitsLoss),
    ("bootstrapped_sigmoid { alpha: 0.5 hard_bootstrap: true }",
     losses.BootstrappedSigmoidClassificationLoss),
])
def test_classification_losses(text, expected):
  parts = losses_builder.build(_parse(
      "localization_loss { weighted_l2 {} } classification_loss { %s }"
      % text))
  assert isinstance(parts[0], expected)
  assert isinstance(parts[1], losses.WeightedL2LocalizationLoss)


@pytest.mark.parametrize("text, message", [
    ("classification_loss { weighted_sigmoid {} }",
     "loss.localization_loss: must be set to one of: weighted_l2, "
     "weighted_smooth_l1, weighted_iou"),
    ("localization_loss { weighted_l2 {} }",
     "loss.classification_loss: must be set to one of"),
    ("localization_loss { weighted_giou {} } "
     "classification_loss { weighted_sigmoid {} }",
     "loss.localization_loss.weighted_giou: not supported; supported: "
     "weighted_l2, weighted_smooth_l1, weighted_iou"),
    (_BASE.replace("delta: 0.5", "delta: 0"),
     r"loss.localization_loss.weighted_smooth_l1.delta: must be > 0, got 0.0"),
    ("localization_loss { weighted_l2 {} } "
     "classification_loss { weighted_sigmoid_focal {} } "
     "hard_example_miner {}",
     "loss.hard_example_miner: cannot be used with the "
     "weighted_sigmoid_focal classification loss"),
    (_BASE + "random_example_sampler { positive_sample_fraction: 0 }",
     r"loss.random_example_sampler.positive_sample_fraction: must be in "
     r"\(0, 1\], got 0.0"),
    (_BASE + "expected_loss_weights: EXPECTED_SAMPLING",
     "loss.expected_loss_weights: EXPECTED_SAMPLING is not supported; only "
     "NONE"),
    (_BASE + "hard_example_miner { iou_threshold: 1.5 }",
     r"loss.hard_example_miner.iou_threshold: must be in \[0, 1\], got 1.5"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    losses_builder.build(_parse(text))


def test_faster_rcnn_classification_loss():
  build = losses_builder.build_faster_rcnn_classification_loss
  assert isinstance(build(losses_pb2.ClassificationLoss()),
                    losses.WeightedSoftmaxClassificationLoss)
  assert isinstance(
      build(text_format.Parse("weighted_sigmoid {}",
                              losses_pb2.ClassificationLoss())),
      losses.WeightedSigmoidClassificationLoss)
  with pytest.raises(ValueError, match="^second_stage_classification_loss."
                     "bootstrapped_sigmoid: not supported"):
    build(text_format.Parse("bootstrapped_sigmoid { alpha: 0.5 }",
                            losses_pb2.ClassificationLoss()))
  with pytest.raises(TypeError, match="expected a ClassificationLoss"):
    build(losses_pb2.Loss())


def test_type_error():
  with pytest.raises(TypeError, match="^loss: expected a Loss message"):
    losses_builder.build(losses_pb2.ClassificationLoss())
