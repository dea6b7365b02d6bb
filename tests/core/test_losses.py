"""Tests for object_detection/core/losses.py."""

import math

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import losses
from object_detection.core import matcher

LN2, LN3, LN4 = math.log(2.0), math.log(3.0), math.log(4.0)


def test_weighted_l2():
  # 0.5 * sum((2 * [1, 2, 3, 4])^2) = 0.5 * 4 * 30 = 60.
  loss = losses.WeightedL2LocalizationLoss()(
      tf.constant([[[1.0, 2.0, 3.0, 4.0]]]), tf.zeros([1, 1, 4]),
      weights=tf.constant([[2.0]]))
  np.testing.assert_allclose(loss.numpy(), [[60.0]])


@pytest.mark.parametrize("delta, expected", [
    # |x| = [.5, 2, 0, 1]: .125 + (2 - .5) + 0 + .5 = 2.125, times .5.
    (1.0, 2.125 * 0.5),
    # delta 2: .125 + .5 * 4 + 0 + .5 = 2.625, times .5.
    (2.0, 2.625 * 0.5),
])
def test_weighted_smooth_l1(delta, expected):
  loss = losses.WeightedSmoothL1LocalizationLoss(delta)(
      tf.constant([[[0.5, -2.0, 0.0, 1.0]]]), tf.zeros([1, 1, 4]),
      weights=tf.constant([[0.5]]))
  np.testing.assert_allclose(loss.numpy(), [[expected]], rtol=1e-6)


def test_weighted_iou():
  # IoU([0,0,2,2], [1,1,3,3]) = 1 / 7 -> loss 6 / 7; identical boxes -> 0.
  loss = losses.WeightedIOULocalizationLoss()(
      tf.constant([[[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]]]),
      tf.constant([[[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 1.0, 1.0]]]),
      weights=tf.constant([[1.0, 1.0]]))
  np.testing.assert_allclose(loss.numpy(), [[6.0 / 7.0, 0.0]], rtol=1e-6)


_LOGITS = tf.constant([[[0.0, LN3]]])


def test_weighted_sigmoid():
  # CE(logit 0, target 1) = ln 2; CE(logit ln 3, target 0) = ln(1 + 3).
  loss = losses.WeightedSigmoidClassificationLoss()(
      _LOGITS, tf.constant([[[1.0, 0.0]]]),
      weights=tf.constant([[[1.0, 0.5]]]))
  np.testing.assert_allclose(loss.numpy(), [[[LN2, 0.5 * LN4]]], rtol=1e-6)


def test_weighted_sigmoid_with_class_indices():
  loss = losses.WeightedSigmoidClassificationLoss()(
      _LOGITS, tf.constant([[[1.0, 0.0]]]), weights=tf.ones([1, 1, 1]),
      class_indices=tf.constant([1]))
  np.testing.assert_allclose(loss.numpy(), [[[0.0, LN4]]], rtol=1e-6)


def test_sigmoid_focal():
  # Entry 0: p = .5, target 1 -> p_t = .5, (1 - .5)^2 * .25 * ln 2.
  # Entry 1: p = .75, target 0 -> p_t = .25, (.75)^2 * .75 * ln 4.
  loss = losses.SigmoidFocalClassificationLoss(gamma=2.0, alpha=0.25)(
      _LOGITS, tf.constant([[[1.0, 0.0]]]), weights=tf.ones([1, 1, 2]))
  np.testing.assert_allclose(
      loss.numpy(), [[[0.25 * 0.25 * LN2, 0.5625 * 0.75 * LN4]]], rtol=1e-5)


def test_sigmoid_focal_without_alpha_and_gamma_is_plain_cross_entropy():
  loss = losses.SigmoidFocalClassificationLoss(gamma=0.0, alpha=None)(
      _LOGITS, tf.constant([[[1.0, 0.0]]]), weights=tf.ones([1, 1, 2]))
  np.testing.assert_allclose(loss.numpy(), [[[LN2, LN4]]], rtol=1e-6)


@pytest.mark.parametrize("logit_scale, expected", [
    # softmax([0, ln 3]) = [1/4, 3/4] -> -ln(3/4).
    (1.0, -math.log(0.75)),
    # softmax([0, ln 3 / 2]) = [1, sqrt 3] / (1 + sqrt 3).
    (2.0, math.log((1.0 + math.sqrt(3.0)) / math.sqrt(3.0))),
])
def test_weighted_softmax(logit_scale, expected):
  # Weights [1, 0.5] are averaged to 0.75.
  loss = losses.WeightedSoftmaxClassificationLoss(logit_scale)(
      _LOGITS, tf.constant([[[0.0, 1.0]]]),
      weights=tf.constant([[[1.0, 0.5]]]))
  np.testing.assert_allclose(loss.numpy(), [[0.75 * expected]], rtol=1e-6)


def test_softmax_against_logits():
  # Labels softmax([0, ln 3]) = [1/4, 3/4]; predicting the same logits gives
  # the entropy -(1/4 ln 1/4 + 3/4 ln 3/4).
  loss = losses.WeightedSoftmaxClassificationAgainstLogitsLoss()(
      _LOGITS, _LOGITS, weights=tf.ones([1, 1, 1]))
  entropy = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))
  np.testing.assert_allclose(loss.numpy(), [[entropy]], rtol=1e-6)


def test_bootstrapped_sigmoid_hard():
  # alpha .5, hard: q = [0, 1] (sigmoid .5 is not > .5, .75 is);
  # targets become .5 * [1, 0] + .5 * [0, 1] = [.5, .5].
  # CE(0, .5) = ln 2; CE(ln 3, .5) = ln 4 - .5 ln 3.
  loss = losses.BootstrappedSigmoidClassificationLoss(0.5, "hard")(
      _LOGITS, tf.constant([[[1.0, 0.0]]]), weights=tf.ones([1, 1, 2]))
  np.testing.assert_allclose(loss.numpy(), [[[LN2, LN4 - 0.5 * LN3]]],
                             rtol=1e-6)


def test_losses_mask_and_nan_targets():
  prediction = tf.constant([[[1.0, 1.0]], [[1.0, 1.0]]])
  target = tf.constant([[[0.0, float("nan")]], [[0.0, 0.0]]])
  loss = losses.WeightedL2LocalizationLoss()(
      prediction, target, ignore_nan_targets=True,
      losses_mask=tf.constant([True, False]), weights=tf.ones([2, 1]))
  # Image 0: only the first entry counts, 0.5 * 1; image 1 is masked.
  np.testing.assert_allclose(loss.numpy(), [[0.5], [0.0]])


def test_graph_mode_with_unknown_dims():
  loss_fn = losses.WeightedSoftmaxClassificationLoss()

  @tf.function(input_signature=[tf.TensorSpec([None, None, 3])] * 3)
  def compute(prediction, target, weights):
    return loss_fn(prediction, target, weights=weights)

  assert compute(tf.zeros([2, 5, 3]), tf.zeros([2, 5, 3]),
                 tf.ones([2, 5, 3])).shape == (2, 5)


def test_hard_example_miner_nms_and_cap():
  # Boxes 1 and 2 overlap (IoU 0.9); box 1 has the larger loss.
  boxes = box_list.BoxList(tf.constant(
      [[0.0, 0.0, 1.0, 1.0], [2.0, 2.0, 3.0, 3.0], [2.0, 2.0, 3.0, 2.9],
       [5.0, 5.0, 6.0, 6.0]]))
  cls_losses = tf.constant([[0.1, 0.9, 0.8, 0.2]])
  loc_losses = tf.constant([[1.0, 2.0, 3.0, 4.0]])
  miner = losses.HardExampleMiner(num_hard_examples=2, iou_threshold=0.7,
                                  loss_type="cls")
  # NMS keeps 1 (0.9), drops 2, then keeps 3 (0.2): cls 1.1, loc 2 + 4.
  loc, cls = miner(loc_losses, cls_losses, [boxes])
  np.testing.assert_allclose([loc.numpy(), cls.numpy()], [6.0, 1.1],
                             rtol=1e-6)
  # No NMS, anchor 2 positive, one negative per positive: ranking 1, 2, 3, 0
  # keeps 1 (negative) and 2 (positive): cls 1.7, loc 5.
  miner = losses.HardExampleMiner(num_hard_examples=None, iou_threshold=1.0,
                                  loss_type="cls",
                                  max_negatives_per_positive=1)
  match = matcher.Match(tf.constant([-1, -1, 0, -1], tf.int32))
  loc, cls = miner(loc_losses, cls_losses, [boxes], [match])
  np.testing.assert_allclose([loc.numpy(), cls.numpy()], [5.0, 1.7],
                             rtol=1e-6)


def test_hard_example_miner_both_weights_rank():
  # "both": .5 * cls + 1 * loc = [2.5, 1] -> anchor 0 kept alone.
  boxes = box_list.BoxList(tf.constant([[0.0, 0.0, 1.0, 1.0]] * 2))
  miner = losses.HardExampleMiner(num_hard_examples=1, iou_threshold=0.5,
                                  loss_type="both", cls_loss_weight=0.5,
                                  loc_loss_weight=1.0)
  loc, cls = miner(tf.constant([[2.0, 0.0]]), tf.constant([[1.0, 2.0]]),
                   [boxes])
  np.testing.assert_allclose([loc.numpy(), cls.numpy()], [2.0, 1.0])


@pytest.mark.parametrize("factory, message", [
    (lambda: losses.WeightedSmoothL1LocalizationLoss(0.0),
     "delta must be > 0, got 0.0"),
    (lambda: losses.WeightedSoftmaxClassificationLoss(-1.0),
     "logit_scale must be > 0, got -1.0"),
    (lambda: losses.BootstrappedSigmoidClassificationLoss(0.5, "medium"),
     "bootstrap_type must be 'soft' or 'hard', got 'medium'"),
    (lambda: losses.HardExampleMiner(loss_type="all"),
     "loss_type must be 'cls', 'loc' or 'both', got 'all'"),
])
def test_constructor_errors(factory, message):
  with pytest.raises(ValueError, match=message):
    factory()
