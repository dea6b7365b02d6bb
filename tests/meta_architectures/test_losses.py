"""Tests for rpn_loss.py, box_classifier_loss.py and mask_loss.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import losses
from object_detection.core import target_assigner
from object_detection.meta_architectures import box_classifier_loss
from object_detection.meta_architectures import mask_loss
from object_detection.meta_architectures import proposal_sampler
from object_detection.meta_architectures import rpn_loss


def test_rpn_loss_hand_value():
  # Anchor 0 equals the groundtruth (object), anchor 1 is far (background),
  # anchor 2 is invalid. Zero logits: cross entropy log 2 for each of the 2
  # sampled anchors -> objectness = 2 log 2 / 2. Codes 0.5 off the zero
  # target on one entry: Huber 0.125 for the positive, / 2 sampled.
  loss = rpn_loss.RpnLoss(
      target_assigner.create_target_assigner("FasterRCNN", "proposal"),
      rpn_loss.RpnLossParams(minibatch_size=8, localization_weight=2.0))
  anchors = tf.constant([[0., 0., 10., 10.], [50., 50., 60., 60.],
                         [0., 0., 10., 10.]])
  codes = tf.constant([[[0.5, 0., 0., 0.], [0., 0., 0., 0.], [9., 9., 9., 9.]]])
  out = loss(codes, tf.zeros([1, 3, 2]), anchors,
             [tf.constant([[0., 0., 10., 10.]])], [tf.ones([1])],
             valid_anchors=tf.constant([True, True, False]))
  assert out[rpn_loss.OBJECTNESS_LOSS_KEY].numpy() == pytest.approx(
      np.log(2), rel=1e-5)
  assert out[rpn_loss.LOCALIZATION_LOSS_KEY].numpy() == pytest.approx(
      2.0 * 0.125 / 2, rel=1e-5)


def _targets():
  # One image, 3 slots: positive (class 2 of 2), negative, empty.
  return proposal_sampler.SampledProposals(
      boxes=tf.constant([[[0., 0., .5, .5], [.5, .5, 1., 1.], [0.] * 4]]),
      num_sampled=tf.constant([2]),
      class_targets=tf.constant([[[0., 0., 1.], [1., 0., 0.], [1., 0., 0.]]]),
      class_weights=tf.constant([[1., 1., 0.]]),
      box_targets=tf.constant([[[1., 0., 0., 0.], [0.] * 4, [0.] * 4]]),
      box_weights=tf.constant([[1., 0., 0.]]),
      matched_gt_indices=tf.constant([[0, 0, 0]]),
      is_positive=tf.constant([[True, False, False]]))


def test_box_classifier_loss_hand_value():
  loss = box_classifier_loss.BoxClassifierLoss(
      losses.WeightedSoftmaxClassificationLoss(),
      box_classifier_loss.BoxClassifierLossParams(1.0, 1.0))
  # Per-class codes [1, S, 2, 4]: class 2's code for slot 0 is 0 -> Huber
  # 0.5 * 1^2 against target 1 on one entry; class 1's code is ignored.
  codes = tf.constant([[[[5.] * 4, [0.] * 4], [[0.] * 4] * 2, [[0.] * 4] * 2]])
  out = loss(codes, tf.zeros([1, 3, 3]), _targets())
  assert out[box_classifier_loss.LOCALIZATION_LOSS_KEY].numpy() == (
      pytest.approx(0.5 / 2, rel=1e-5))
  assert out[box_classifier_loss.CLASSIFICATION_LOSS_KEY].numpy() == (
      pytest.approx(2 * np.log(3) / 2, rel=1e-5))


def test_crop_mask_targets_and_loss():
  # An 8x8 mask with the left half on; ROI = the left half: target all 1.
  mask = np.zeros([1, 8, 8], np.float32)
  mask[0, :, :4] = 1
  targets = mask_loss.crop_mask_targets(
      [tf.constant(mask)], tf.constant([[[0., 0., 1., 3. / 7.]]]),
      tf.constant([[0]]), tf.constant([1, 8, 8, 3]), (2, 2))
  np.testing.assert_allclose(targets.numpy(), np.ones([1, 1, 2, 2]))
  loss = mask_loss.MaskLoss(weight=2.0)
  # Zero logits: log 2 per pixel, averaged over the positive ROI's pixels.
  value = loss(tf.zeros([1, 1, 3, 2, 2]), tf.constant([[2]]), targets,
               tf.constant([[1.0]]))
  assert value.numpy() == pytest.approx(2 * np.log(2), rel=1e-5)
  # Masks of other classes are ignored.
  logits = np.zeros([1, 1, 3, 2, 2], np.float32)
  logits[0, 0, 0] = 100.0
  value = loss(tf.constant(logits), tf.constant([[2]]), targets,
               tf.constant([[1.0]]))
  assert value.numpy() == pytest.approx(2 * np.log(2), rel=1e-5)


def test_crop_mask_targets_without_groundtruth():
  targets = mask_loss.crop_mask_targets(
      [tf.zeros([0, 8, 8])], tf.constant([[[0., 0., 1., 1.]]]),
      tf.constant([[0]]), tf.constant([1, 8, 8, 3]), (2, 2))
  np.testing.assert_array_equal(targets.numpy(), np.zeros([1, 1, 2, 2]))
