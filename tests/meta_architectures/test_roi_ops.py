"""Tests for object_detection/meta_architectures/roi_ops.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.meta_architectures import roi_ops


def test_assign_fpn_levels_hand_values():
  # 512x512 image; sqrt(area) in pixels: 224 -> 4 + log2(1) = 4;
  # 112 -> 3; 448 -> 5; 16 -> 4 + log2(16/224) = 0.19 -> clipped to 2;
  # 2000 (box larger than the image is fine) -> 7.16 -> clipped to 5.
  sizes = np.array([224.0, 112.0, 448.0, 16.0, 2000.0]) / 512.0
  boxes = np.stack([np.zeros(5), np.zeros(5), sizes, sizes], axis=1)
  levels = roi_ops.assign_fpn_levels(
      tf.constant(boxes[np.newaxis], tf.float32), 512, 512, 2, 5)
  np.testing.assert_array_equal(levels.numpy(), [[4, 3, 5, 2, 5]])


def test_assign_fpn_levels_floor_not_round():
  # sqrt(area) = 223 px is just under the canonical size: level 3, not 4.
  size = 223.0 / 512.0
  levels = roi_ops.assign_fpn_levels(
      tf.constant([[0.0, 0.0, size, size]]), 512, 512, 2, 6)
  assert levels.numpy().tolist() == [3]


def _levels(rng, batch, sizes, depth):
  return [tf.constant(rng.normal(size=(batch, h, w, depth)), tf.float32)
          for h, w in sizes]


def test_multilevel_crop_equals_per_level_crop():
  rng = np.random.default_rng(0)
  sizes = [(16, 12), (8, 6), (4, 3), (2, 2)]
  features = _levels(rng, 2, sizes, 3)
  corners = rng.uniform(0, 1, size=(2, 7, 2, 2))
  boxes = np.concatenate([corners.min(axis=2), corners.max(axis=2)], axis=2)
  boxes[0, 0] = [0.0, 0.0, 1.0, 1.0]  # the whole map, touching every edge
  levels = rng.integers(0, 4, size=(2, 7))
  crops = roi_ops.multilevel_crop_and_resize(
      features, tf.constant(boxes, tf.float32), tf.constant(levels, tf.int32),
      (5, 4)).numpy()
  assert crops.shape == (2, 7, 5, 4, 3)
  for b in range(2):
    for i in range(7):
      expected = tf.image.crop_and_resize(
          features[levels[b, i]][b:b + 1], boxes[b:b + 1, i].astype(
              np.float32), [0], [5, 4]).numpy()[0]
      np.testing.assert_allclose(crops[b, i], expected, atol=1e-5)


def test_multilevel_crop_gradient_reaches_every_level():
  rng = np.random.default_rng(1)
  features = _levels(rng, 1, [(8, 8), (4, 4)], 2)
  boxes = tf.constant([[[0.1, 0.1, 0.6, 0.7], [0.2, 0.0, 0.9, 0.5]]])
  levels = tf.constant([[0, 1]])
  with tf.GradientTape() as tape:
    tape.watch(features)
    crops = roi_ops.multilevel_crop_and_resize(features, boxes, levels, (3, 3))
    total = tf.reduce_sum(crops)
  grads = tape.gradient(total, features)
  # Bilinear weights of each sample sum to 1: 9 samples per box and channel.
  assert grads[0].numpy().sum() == pytest.approx(9 * 2, rel=1e-5)
  assert grads[1].numpy().sum() == pytest.approx(9 * 2, rel=1e-5)


def test_roi_feature_extractor_uses_box_size_levels():
  rng = np.random.default_rng(2)
  features = _levels(rng, 1, [(64, 64), (32, 32), (16, 16)], 2)
  extractor = roi_ops.RoiFeatureExtractor(4, fpn_min_level=2, fpn_max_level=4)
  # 256x256 image: a 32 px box goes to level 2, a 240 px box to level 4.
  boxes = tf.constant([[[0.0, 0.0, 0.125, 0.125], [0.0, 0.0, 0.9375, 0.9375]]])
  crops = extractor(features, boxes, tf.constant([1, 256, 256, 3])).numpy()
  expected_small = tf.image.crop_and_resize(
      features[0], boxes[0, :1], [0], [4, 4]).numpy()
  expected_large = tf.image.crop_and_resize(
      features[2], boxes[0, 1:], [0], [4, 4]).numpy()
  np.testing.assert_allclose(crops[0, :1], expected_small, atol=1e-5)
  np.testing.assert_allclose(crops[0, 1:], expected_large, atol=1e-5)


def test_roi_feature_extractor_errors():
  with pytest.raises(ValueError, match="crop_size must be > 0, got 0"):
    roi_ops.RoiFeatureExtractor(0)
  extractor = roi_ops.RoiFeatureExtractor(2, 2, 3)
  with pytest.raises(ValueError, match=r"expected 2 feature maps \(levels "
                     r"2..3\), got 1"):
    extractor([tf.zeros([1, 4, 4, 1])], tf.zeros([1, 1, 4]),
              tf.constant([1, 16, 16, 3]))


def test_max_pool_crops():
  crops = tf.reshape(tf.range(16, dtype=tf.float32), [1, 4, 4, 1])
  pooled = roi_ops.max_pool_crops(crops, 2, 2).numpy()[0, :, :, 0]
  np.testing.assert_array_equal(pooled, [[5, 7], [13, 15]])
  assert roi_ops.max_pool_crops(crops, 1, 1) is crops
