"""Tests for object_detection/models/freezable_batch_norm.py."""

import numpy as np
import tensorflow as tf

from object_detection.models import freezable_batch_norm


def _inputs():
  # Per-channel batch mean 10, std 2: values 8 and 12.
  return tf.constant([[[[8.0]], [[12.0]]]])  # [1, 2, 1, 1]


def test_pinned_false_uses_moving_statistics_and_keeps_them():
  layer = freezable_batch_norm.FreezableBatchNorm(training=False, epsilon=0.0)
  out = layer(_inputs(), training=True)
  # Moving mean 0, variance 1, gamma 1, beta 0: identity.
  np.testing.assert_allclose(out.numpy(), _inputs().numpy())
  np.testing.assert_allclose(layer.moving_mean.numpy(), [0.0])
  # Scale and offset stay trainable.
  assert len(layer.trainable_variables) == 2


def test_unpinned_follows_training_flag():
  layer = freezable_batch_norm.FreezableBatchNorm(
      training=None, epsilon=0.0, momentum=0.5)
  out = layer(_inputs(), training=True)
  # (x - 10) / 2 -> -1, 1.
  np.testing.assert_allclose(out.numpy().ravel(), [-1.0, 1.0], atol=1e-5)
  # 0.5 * 0 + 0.5 * 10.
  np.testing.assert_allclose(layer.moving_mean.numpy(), [5.0])


def test_config_round_trip():
  layer = freezable_batch_norm.FreezableBatchNorm(training=False, name="bn")
  clone = freezable_batch_norm.FreezableBatchNorm.from_config(
      layer.get_config())
  assert clone.get_config()["training"] is False
