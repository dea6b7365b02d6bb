"""Tests for models/faster_rcnn_resnet_keras_feature_extractor.py.

The networks are big: one build and one small forward pass per case.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import faster_rcnn_resnet_keras_feature_extractor as resnet


# ResNet-152 (same code, other layer names) is covered by the FPN tests.
@pytest.mark.parametrize("extractor_class,stride,proposal_hw", [
    (resnet.FasterRCNNResnet50KerasFeatureExtractor, 16, (4, 5)),
    (resnet.FasterRCNNResnet50KerasFeatureExtractor, 8, (8, 10)),
    (resnet.FasterRCNNResnet101KerasFeatureExtractor, 8, (8, 10)),
])
def test_shapes(extractor_class, stride, proposal_hw):
  extractor = extractor_class(is_training=True,
                              first_stage_features_stride=stride,
                              weight_decay=1e-4)
  assert extractor.proposal_feature_strides == (stride,)
  assert extractor.fpn_min_level is None and extractor.fpn_max_level is None
  proposal = extractor.get_proposal_feature_extractor_model("first")
  classifier = extractor.get_box_classifier_feature_extractor_model("second")
  images = tf.random.uniform([1, 64, 80, 3], 0, 255, seed=1)
  features = proposal(extractor.preprocess(images), training=True)
  assert tuple(features.shape) == (1,) + proposal_hw + (1024,)
  # 7x7 crops -> conv5 (stride 2) -> 4x4.
  assert tuple(classifier(tf.zeros([2, 7, 7, 1024])).shape) == (2, 4, 4, 2048)
  # Both models share the backbone's layers.
  assert extractor.get_proposal_feature_extractor_model() is proposal
  backbone_ids = {id(v) for v in extractor.classification_backbone.weights}
  assert {id(v) for v in proposal.weights} <= backbone_ids
  assert {id(v) for v in classifier.weights} <= backbone_ids
  # Weight decay on every conv kernel; batch norm frozen but trainable.
  backbone = extractor.classification_backbone
  num_convs = sum(isinstance(layer, keras.layers.Conv2D)
                  for layer in backbone.layers)
  assert len(backbone.losses) == num_convs
  # The two models split the backbone's regularization losses.
  assert len(proposal.losses) + len(classifier.losses) == num_convs
  bn = backbone.get_layer("conv1_bn")
  assert bn.get_config()["training"] is False
  assert bn.gamma.trainable


def test_preprocess_subtracts_channel_means():
  extractor = resnet.FasterRCNNResnet50KerasFeatureExtractor(is_training=False)
  out = extractor.preprocess(tf.fill([1, 1, 1, 3], 100.0))
  np.testing.assert_allclose(out.numpy().ravel(),
                             [-23.68, -16.779, -3.939], rtol=1e-5)
  grey = tf.ones([1, 2, 2, 1])
  np.testing.assert_array_equal(extractor.preprocess(grey).numpy(),
                                grey.numpy())


def test_invalid_stride():
  with pytest.raises(
      ValueError, match="first_stage_features_stride must be 8 or 16, got 32"):
    resnet.FasterRCNNResnet101KerasFeatureExtractor(
        is_training=True, first_stage_features_stride=32)
