"""Tests for object_detection/core/target_assigner.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.box_coders import mean_stddev_box_coder
from object_detection.core import box_list
from object_detection.core import region_similarity_calculator as sim_calc
from object_detection.core import target_assigner
from object_detection.matchers import argmax_matcher

# IoU with G0 = [0, 0, .5, .5] (area .25) and G1 = [.5, .5, .9, .9] (.16):
#   A0 = G0                 -> IoU(G0) = 1                   -> matched 0
#   A1 = [.5, .5, 1, 1]     -> IoU(G1) = .16 / .25 = .64     -> matched 1
#   A2 = [0, 0, .5, .4]     -> IoU(G0) = .2 / .25 = .8       -> matched 0
#   A3 = [0, 0, .5, 1.2]    -> IoU(G0) = .25 / .6 = .417     -> ignored (-2)
#   A4 = [.9, 0, 1, .1]     -> IoU 0                         -> negative (-1)
_ANCHORS = [[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0], [0.0, 0.0, 0.5, 0.4],
            [0.0, 0.0, 0.5, 1.2], [0.9, 0.0, 1.0, 0.1]]
_GT_BOXES = [[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 0.9, 0.9]]
_GT_LABELS = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
_UNMATCHED = [1.0, 0.0, 0.0]


def _assigner(negative_class_weight=1.0):
  return target_assigner.TargetAssigner(
      sim_calc.IouSimilarity(),
      argmax_matcher.ArgMaxMatcher(matched_threshold=0.5,
                                   unmatched_threshold=0.3),
      mean_stddev_box_coder.MeanStddevBoxCoder(stddev=0.1),
      negative_class_weight=negative_class_weight)


def test_assign_golden_values():
  (cls_targets, cls_weights, reg_targets, reg_weights,
   match) = _assigner(negative_class_weight=0.25).assign(
       box_list.BoxList(tf.constant(_ANCHORS)),
       box_list.BoxList(tf.constant(_GT_BOXES)),
       groundtruth_labels=tf.constant(_GT_LABELS),
       unmatched_class_label=tf.constant(_UNMATCHED),
       groundtruth_weights=tf.constant([1.0, 0.5]))
  np.testing.assert_array_equal(match, [0, 1, 0, -2, -1])
  np.testing.assert_allclose(
      cls_targets.numpy(),
      [[0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0], [1, 0, 0]])
  # Matched: groundtruth weight; ignored: 0; negative: 0.25; per class.
  np.testing.assert_allclose(cls_weights.numpy(),
                             [[1.0] * 3, [0.5] * 3, [1.0] * 3, [0.0] * 3,
                              [0.25] * 3])
  # (G - A) / 0.1: A1 -> [0, 0, -.1, -.1] / .1; A2 -> [0, 0, 0, .1] / .1.
  np.testing.assert_allclose(
      reg_targets.numpy(),
      [[0, 0, 0, 0], [0, 0, -1, -1], [0, 0, 0, 1], [0, 0, 0, 0],
       [0, 0, 0, 0]], atol=1e-5)
  np.testing.assert_allclose(reg_weights.numpy(), [1.0, 0.5, 1.0, 0.0, 0.0])
  assert cls_targets.shape == (5, 3) and cls_weights.shape == (5, 3)


def test_default_labels_are_binary():
  cls_targets, cls_weights, _, _, _ = _assigner().assign(
      box_list.BoxList(tf.constant(_ANCHORS)),
      box_list.BoxList(tf.constant(_GT_BOXES)))
  np.testing.assert_allclose(cls_targets.numpy()[:, 0], [1, 1, 1, 0, 0])
  np.testing.assert_allclose(cls_weights.numpy()[:, 0], [1, 1, 1, 0, 1])
  assert cls_targets.shape == (5, 1)


def test_mask_shaped_labels():
  masks = tf.constant([np.full([2, 3], 1.0), np.full([2, 3], 2.0)],
                      tf.float32)
  cls_targets, cls_weights, _, _, _ = _assigner().assign(
      box_list.BoxList(tf.constant(_ANCHORS)),
      box_list.BoxList(tf.constant(_GT_BOXES)), groundtruth_labels=masks,
      unmatched_class_label=tf.zeros([2, 3]))
  assert cls_targets.shape == (5, 2, 3) and cls_weights.shape == (5, 2, 3)
  np.testing.assert_allclose(cls_targets.numpy()[:, 0, 0], [1, 2, 1, 0, 0])
  np.testing.assert_allclose(cls_weights.numpy()[:, 1, 2], [1, 1, 1, 0, 1])


def test_graph_mode_with_padded_groundtruth():
  # The first groundtruth row is padding (weight 0). Its IoUs are all 0, so
  # if it were force-matched it would claim anchor 0 (argmax of zeros) and
  # win it over G0 (lowest row wins); it must not.
  assigner = target_assigner.create_target_assigner("FasterRCNN", "proposal")

  @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32),
                                tf.TensorSpec([None, 4], tf.float32),
                                tf.TensorSpec([None], tf.float32)])
  def assign(anchors, gt_boxes, gt_weights):
    return assigner.assign(box_list.BoxList(anchors),
                           box_list.BoxList(gt_boxes),
                           groundtruth_weights=gt_weights)

  gt = tf.constant([[0.0, 0.0, 0.0, 0.0]] + _GT_BOXES)
  _, _, reg_targets, reg_weights, match = assign(
      tf.constant(_ANCHORS), gt, tf.constant([0.0, 1.0, 1.0]))
  # Proposal stage: matched >= 0.7, negative < 0.3, rows force-matched, so
  # A1 (IoU .64 with G1) is G1's forced match.
  np.testing.assert_array_equal(match, [1, 2, 1, -2, -1])
  np.testing.assert_allclose(reg_weights.numpy(), [1, 1, 1, 0, 0])
  assert reg_targets.shape == (5, 4)


def test_batch_assign_targets_stacks_images():
  anchors = box_list.BoxList(tf.constant(_ANCHORS))
  gt_boxes = [box_list.BoxList(tf.constant(_GT_BOXES)),
              box_list.BoxList(tf.constant(_GT_BOXES[1:]))]
  labels = [tf.constant(_GT_LABELS), tf.constant(_GT_LABELS[1:])]
  (cls_targets, cls_weights, reg_targets, reg_weights,
   match) = target_assigner.batch_assign_targets(
       _assigner(), anchors, gt_boxes, labels,
       unmatched_class_label=tf.constant(_UNMATCHED))
  assert cls_targets.shape == (2, 5, 3)
  assert cls_weights.shape == (2, 5, 3)
  assert reg_targets.shape == (2, 5, 4)
  assert reg_weights.shape == (2, 5)
  np.testing.assert_array_equal(match, [[0, 1, 0, -2, -1],
                                        [-1, 0, -1, -1, -1]])


def test_batch_get_targets():
  targets, weights = target_assigner.batch_get_targets(
      tf.constant([[1, -1, -2]], tf.int32), [tf.constant([[5.0], [7.0]])],
      [tf.constant([0.5, 0.25])], unmatched_value=tf.constant([0.0]),
      unmatched_weight=1.0)
  np.testing.assert_allclose(targets.numpy(), [[[7.0], [0.0], [0.0]]])
  np.testing.assert_allclose(weights.numpy(), [[0.25, 1.0, 0.0]])


def test_errors():
  assigner = _assigner()
  anchors = box_list.BoxList(tf.constant(_ANCHORS))
  gt = box_list.BoxList(tf.constant(_GT_BOXES))
  with pytest.raises(ValueError, match="anchors must be a BoxList"):
    assigner.assign(tf.constant(_ANCHORS), gt)
  with pytest.raises(ValueError, match=r"unmatched_class_label shape \(2,\) "
                     r"must equal the per-box label shape \(3,\)"):
    assigner.assign(anchors, gt, tf.constant(_GT_LABELS), tf.zeros([2]))
  with pytest.raises(ValueError, match="groundtruth_labels has 1 rows but "
                     "there are 2 groundtruth boxes"):
    assigner.assign(anchors, gt, tf.constant(_GT_LABELS[:1]),
                    tf.zeros([3]))
  with pytest.raises(ValueError, match="must have the same length, got 1, 2 "
                     "and 2"):
    target_assigner.batch_assign(assigner, [anchors], [gt, gt], [None, None])
  with pytest.raises(ValueError, match="similarity_calc must be a "
                     "RegionSimilarityCalculator"):
    target_assigner.TargetAssigner(None, None, None)
  with pytest.raises(ValueError, match="unsupported reference 'SSD'"):
    target_assigner.create_target_assigner("SSD", "proposal")
