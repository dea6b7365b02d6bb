"""Tests for object_detection/meta_architectures/proposal_sampler.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import target_assigner
from object_detection.meta_architectures import proposal_sampler

# Two groundtruth boxes (normalised) of classes 1 and 3 (of 3).
GT_BOXES = [[0.0, 0.0, 0.5, 0.5], [0.5, 0.5, 1.0, 1.0]]
GT_CLASSES = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
# Proposals: 0 equals gt 0 (IoU 1), 1 overlaps gt 1 with IoU
# 0.25*0.4/(0.25*0.4 + 0.25*0.25 - ...) -> see below, 2 and 3 are negatives,
# 4 is padding (past num_proposals).
PROPOSALS = [[0.0, 0.0, 0.5, 0.5],
             [0.5, 0.5, 1.0, 0.9],    # IoU with gt 1 = 0.2 / 0.25 = 0.8
             [0.0, 0.6, 0.3, 0.9],    # IoU 0
             [0.3, 0.3, 0.6, 0.6],    # IoU with gt 0 = 0.04 / 0.32 < 0.5
             [0.0, 0.0, 0.5, 0.5]]    # padding


def _sampler(batch_size, fraction=0.5):
  assigner = target_assigner.create_target_assigner("FasterRCNN", "detection")
  return proposal_sampler.ProposalSampler(assigner, 3, batch_size, fraction)


def _run(sampler, **kwargs):
  return sampler(tf.constant([PROPOSALS]), tf.constant([4]),
                 [tf.constant(GT_BOXES)], [tf.constant(GT_CLASSES)],
                 [tf.ones([2])], **kwargs)


def test_positives_first_with_targets():
  tf.random.set_seed(0)
  out = _run(_sampler(batch_size=6))
  assert out.num_sampled.numpy().tolist() == [4]
  np.testing.assert_array_equal(out.is_positive.numpy()[0],
                                [True, True, False, False, False, False])
  # Positives keep input order: proposal 0 (class 1), proposal 1 (class 3).
  np.testing.assert_allclose(out.boxes.numpy()[0, :2], PROPOSALS[:2])
  np.testing.assert_array_equal(out.class_targets.numpy()[0, :2],
                                [[0, 1, 0, 0], [0, 0, 0, 1]])
  np.testing.assert_array_equal(out.matched_gt_indices.numpy()[0, :2], [0, 1])
  np.testing.assert_array_equal(out.class_targets.numpy()[0, 2:4],
                                [[1, 0, 0, 0], [1, 0, 0, 0]])
  np.testing.assert_array_equal(out.class_weights.numpy()[0],
                                [1, 1, 1, 1, 0, 0])
  np.testing.assert_array_equal(out.box_weights.numpy()[0],
                                [1, 1, 0, 0, 0, 0])
  # Proposal 0 equals its groundtruth: zero codes. Proposal 1: gt centre x
  # 0.75 vs 0.7, width 0.4 -> tx = 10 * 0.05 / 0.4 = 1.25,
  # tw = 5 * log(0.5 / 0.4) = 1.1157.
  np.testing.assert_allclose(out.box_targets.numpy()[0, 0], [0, 0, 0, 0],
                             atol=1e-5)
  np.testing.assert_allclose(out.box_targets.numpy()[0, 1],
                             [0, 1.25, 0, 5 * np.log(1.25)], atol=1e-4)
  assert np.all(out.boxes.numpy()[0, 4:] == 0)


def test_positive_fraction_caps_positives():
  tf.random.set_seed(0)
  out = _run(_sampler(batch_size=2, fraction=0.5))
  # One positive at most, and a negative fills the second slot.
  positive = out.is_positive.numpy()[0]
  assert positive.tolist() == [True, False]
  assert out.num_sampled.numpy().tolist() == [2]
  assert out.class_targets.numpy()[0, 1, 0] == 1


def test_no_sampling_keeps_input_order():
  out = _run(_sampler(batch_size=2), sample=False)
  assert out.boxes.shape == (1, 5, 4)
  np.testing.assert_array_equal(out.is_positive.numpy()[0],
                                [True, True, False, False, False])
  np.testing.assert_array_equal(out.class_weights.numpy()[0], [1, 1, 1, 1, 0])


def test_errors():
  with pytest.raises(ValueError, match="batch_size must be > 0, got 0"):
    _sampler(0)
