"""Tests for object_detection/predictors/heads/keras_box_head.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.predictors.heads import keras_box_head

_HYPERPARAMS = default_layer_hyperparams.DefaultLayerHyperparams(
    activation="none")


@pytest.mark.parametrize("share,num_boxes", [(False, 5), (True, 1)])
def test_mask_rcnn_box_head_shape(share, num_boxes):
  head = keras_box_head.MaskRCNNBoxHead(
      is_training=True, num_classes=5, fc_hyperparams=_HYPERPARAMS,
      freeze_batchnorm=False, use_dropout=True, dropout_keep_prob=0.5,
      box_code_size=4, share_box_across_classes=share)
  out = head(tf.ones([3, 7, 7, 16]), training=True)
  assert tuple(out.shape) == (3, 1, num_boxes, 4)


def test_mask_rcnn_box_head_averages_spatially():
  head = keras_box_head.MaskRCNNBoxHead(
      is_training=False, num_classes=1, fc_hyperparams=_HYPERPARAMS,
      freeze_batchnorm=True, use_dropout=False, dropout_keep_prob=1.0,
      box_code_size=4)
  features = tf.random.normal([2, 4, 4, 8], seed=1)
  pooled = tf.reduce_mean(features, axis=[1, 2], keepdims=True)
  np.testing.assert_allclose(head(features).numpy(), head(pooled).numpy(),
                             rtol=1e-5, atol=1e-6)


def test_convolutional_box_head_shape_and_order():
  head = keras_box_head.ConvolutionalBoxHead(
      is_training=True, box_code_size=4, kernel_size=1,
      num_predictions_per_location=3, conv_hyperparams=_HYPERPARAMS,
      freeze_batchnorm=False)
  features = tf.random.normal([2, 5, 6, 8], seed=2)
  out = head(features)
  assert tuple(out.shape) == (2, 5 * 6 * 3, 1, 4)
  # Anchor k of cell (y, x) is row (y * 6 + x) * 3 + k.
  kernel, bias = [v.numpy() for v in head.trainable_variables]
  raw = features.numpy()[1, 2, 4] @ kernel[0, 0] + bias  # 1x1 conv
  np.testing.assert_allclose(out.numpy()[1, (2 * 6 + 4) * 3 + 2, 0],
                             raw[8:12], rtol=1e-5, atol=1e-6)
