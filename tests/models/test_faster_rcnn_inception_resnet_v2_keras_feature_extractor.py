"""Tests for faster_rcnn_inception_resnet_v2_keras_feature_extractor.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import faster_rcnn_inception_resnet_v2_keras_feature_extractor as irv2

Extractor = irv2.FasterRCNNInceptionResnetV2KerasFeatureExtractor


def test_atrous_stride_8_shapes():
  extractor = Extractor(is_training=False, first_stage_features_stride=8)
  assert extractor.proposal_feature_strides == (8,)
  proposal = extractor.get_proposal_feature_extractor_model("first")
  images = tf.random.uniform([1, 64, 80, 3], 0, 255, seed=1)
  # 'same' padding up to Mixed_6a: exact ceil(64 / 8) x ceil(80 / 8).
  assert tuple(proposal(extractor.preprocess(images)).shape) == (
      1, 8, 10, 1088)
  classifier = extractor.get_box_classifier_feature_extractor_model("second")
  # 17x17 crops -> Mixed_7a ('valid', stride 2) -> 8x8.
  assert tuple(classifier(tf.zeros([2, 17, 17, 1088])).shape) == (
      2, 8, 8, 1536)
  # Block17 convolutions with kernels larger than 1 are dilated by 2.
  layers = extractor.classification_backbone.layers
  names = [layer.name for layer in layers]
  block17 = layers[names.index("mixed_6a") + 1:names.index("block17_20_ac")]
  dilations = {(tuple(layer.kernel_size), tuple(layer.dilation_rate))
               for layer in block17
               if isinstance(layer, keras.layers.Conv2D)}
  assert dilations == {((1, 1), (1, 1)), ((1, 7), (2, 2)), ((7, 1), (2, 2))}


def test_preprocess_maps_to_unit_range():
  out = Extractor(is_training=False).preprocess(
      tf.constant([[[[0.0, 255.0, 127.5]]]]))
  np.testing.assert_allclose(out.numpy().ravel(), [-1.0, 1.0, 0.0])


def test_invalid_stride():
  with pytest.raises(
      ValueError, match="first_stage_features_stride must be 8 or 16, got 32"):
    Extractor(is_training=True, first_stage_features_stride=32)
