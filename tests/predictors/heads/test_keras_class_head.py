"""Tests for object_detection/predictors/heads/keras_class_head.py."""

import numpy as np
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.predictors.heads import keras_class_head

_HYPERPARAMS = default_layer_hyperparams.DefaultLayerHyperparams(
    activation="none")


def test_mask_rcnn_class_head_shape():
  head = keras_class_head.MaskRCNNClassHead(
      is_training=True, num_class_slots=6, fc_hyperparams=_HYPERPARAMS,
      freeze_batchnorm=False, use_dropout=True, dropout_keep_prob=0.7)
  assert tuple(head(tf.ones([4, 7, 7, 16]), training=True).shape) == (
      4, 1, 6)
  assert tuple(head(tf.ones([2, 1, 1, 16])).shape) == (2, 1, 6)


def test_dropout_only_in_training():
  head = keras_class_head.MaskRCNNClassHead(
      is_training=True, num_class_slots=3, fc_hyperparams=_HYPERPARAMS,
      freeze_batchnorm=False, use_dropout=True, dropout_keep_prob=0.5)
  features = tf.ones([2, 1, 1, 64])
  np.testing.assert_array_equal(head(features).numpy(),
                                head(features, training=False).numpy())
  assert not np.allclose(head(features, training=True).numpy(),
                         head(features).numpy())


def test_convolutional_class_head_shape_and_bias_init():
  head = keras_class_head.ConvolutionalClassHead(
      is_training=True, num_class_slots=2, kernel_size=1,
      num_predictions_per_location=3, conv_hyperparams=_HYPERPARAMS,
      freeze_batchnorm=False, class_prediction_bias_init=-2.0)
  out = head(tf.zeros([2, 4, 5, 8]))
  assert tuple(out.shape) == (2, 60, 2)
  np.testing.assert_allclose(out.numpy(), -2.0)
