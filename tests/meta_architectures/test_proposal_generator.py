"""Tests for object_detection/meta_architectures/proposal_generator.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.box_coders import faster_rcnn_box_coder
from object_detection.meta_architectures import proposal_generator

# Four anchors in a 100x200 (height x width) padded image; zero codes decode
# to the anchors themselves.
ANCHORS = [[0, 0, 50, 50],     # object score 0.9
           [0, 5, 50, 55],     # IoU with anchor 0: 45*50/(2*2500-2250)=0.82
           [60, 100, 90, 150],  # separate, score 0.7
           [10, 150, 40, 260]]  # crosses the right edge (width 200)
SCORES = [0.9, 0.8, 0.7, 0.6]


def _logits(scores):
  scores = np.asarray(scores, np.float32)
  # softmax([0, log(p / (1 - p))])[1] == p
  return np.stack([np.zeros_like(scores), np.log(scores / (1 - scores))], -1)


def _generate(params, valid=None, true_shape=(100, 200, 3)):
  generator = proposal_generator.ProposalGenerator(
      faster_rcnn_box_coder.FasterRcnnBoxCoder([10., 10., 5., 5.]), params)
  return generator(
      tf.zeros([1, 4, 4]), tf.constant(_logits(SCORES)[np.newaxis]),
      tf.constant(ANCHORS, tf.float32), tf.constant([1, 100, 200, 3]),
      tf.constant([true_shape]), valid)


def test_nms_clip_and_normalise():
  boxes, scores, num = _generate(proposal_generator.ProposalParams(
      max_proposals=5, iou_threshold=0.7))
  assert num.numpy().tolist() == [3]
  np.testing.assert_allclose(scores.numpy()[0], [0.9, 0.7, 0.6, 0, 0],
                             atol=1e-5)
  # Normalised by (100, 200); anchor 3 clipped to x <= 200.
  np.testing.assert_allclose(boxes.numpy()[0, :3], [
      [0, 0, 0.5, 0.25], [0.6, 0.5, 0.9, 0.75], [0.1, 0.75, 0.4, 1.0]],
                             atol=1e-5)
  assert np.all(boxes.numpy()[0, 3:] == 0)


def test_true_image_window_clips():
  boxes, _, _ = _generate(proposal_generator.ProposalParams(5, 0.7),
                          true_shape=(80, 120, 3))
  # The third proposal (anchor 2, x 100..150) is clipped to x <= 120 and
  # y <= 80, then normalised by the padded size (100, 200).
  np.testing.assert_allclose(boxes.numpy()[0, 1], [0.6, 0.5, 0.8, 0.6],
                             atol=1e-5)


def test_pre_nms_top_k_and_invalid_anchors():
  # Top-2 anchors are 0 and 1, which overlap: one proposal survives.
  _, scores, num = _generate(proposal_generator.ProposalParams(
      5, 0.7, pre_nms_top_k=2))
  assert num.numpy().tolist() == [1]
  assert scores.numpy()[0, 0] == pytest.approx(0.9, abs=1e-5)
  # Invalid anchors are never proposed.
  _, scores, num = _generate(
      proposal_generator.ProposalParams(5, 0.7),
      valid=tf.constant([False, True, True, False]))
  assert num.numpy().tolist() == [2]
  np.testing.assert_allclose(scores.numpy()[0, :2], [0.8, 0.7], atol=1e-5)


def test_params_validation():
  with pytest.raises(ValueError, match="max_proposals must be > 0, got 0"):
    proposal_generator.ProposalParams(max_proposals=0)
  with pytest.raises(ValueError, match="pre_nms_top_k must be > 0 or None"):
    proposal_generator.ProposalParams(pre_nms_top_k=0)
