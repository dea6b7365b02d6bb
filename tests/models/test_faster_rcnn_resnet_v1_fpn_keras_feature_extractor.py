"""Tests for models/faster_rcnn_resnet_v1_fpn_keras_feature_extractor.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.models import freezable_batch_norm
from object_detection.models import faster_rcnn_resnet_v1_fpn_keras_feature_extractor as resnet_fpn


# ResNet-101 (same code, other layer names) is covered by the single-level
# extractor tests.
@pytest.mark.parametrize("extractor_class,levels", [
    (resnet_fpn.FasterRCNNResnet50FpnKerasFeatureExtractor, (2, 6)),
    (resnet_fpn.FasterRCNNResnet152FpnKerasFeatureExtractor, (3, 7)),
])
def test_levels_and_shapes(extractor_class, levels):
  min_level, max_level = levels
  extractor = extractor_class(
      is_training=True,
      conv_hyperparams=default_layer_hyperparams.DefaultLayerHyperparams(
          use_batch_norm=True),
      fpn_min_level=min_level, fpn_max_level=max_level,
      additional_layer_depth=32)
  assert (extractor.fpn_min_level, extractor.fpn_max_level) == levels
  assert extractor.proposal_feature_strides == tuple(
      2 ** level for level in range(min_level, max_level + 1))
  proposal = extractor.get_proposal_feature_extractor_model("first")
  images = tf.random.uniform([1, 64, 96, 3], 0, 255, seed=1)
  maps = proposal(extractor.preprocess(images), training=True)
  assert [tuple(m.shape) for m in maps] == [
      (1, -(-64 // 2 ** level), -(-96 // 2 ** level), 32)
      for level in range(min_level, max_level + 1)]
  classifier = extractor.get_box_classifier_feature_extractor_model("second")
  assert tuple(classifier(tf.zeros([3, 7, 7, 32])).shape) == (3, 1, 1, 1024)
  backbone_ids = {id(v) for v in extractor.classification_backbone.weights}
  assert backbone_ids <= {id(v) for v in proposal.weights}


@pytest.mark.parametrize("kwargs,message", [
    ({"fpn_min_level": 6, "fpn_max_level": 7},
     r"fpn min_level must be in \[2, 5\], got 6"),
    ({"first_stage_features_stride": 4},
     "first_stage_features_stride must be 8 or 16, got 4"),
    ({"additional_layer_depth": 0},
     "additional_layer_depth must be >= 1, got 0"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    resnet_fpn.FasterRCNNResnet50FpnKerasFeatureExtractor(
        is_training=True, **kwargs)


def _backbone_layers(extractor, layer_type):
  return [layer for layer in extractor.classification_backbone.layers
          if isinstance(layer, layer_type)]


def test_override_builds_backbone_with_conv_hyperparams():
  hyperparams = default_layer_hyperparams.DefaultLayerHyperparams(
      activation="relu6", use_batch_norm=True, weight_decay=0.0004,
      initializer_stddev=0.03, batch_norm_momentum=0.9,
      batch_norm_epsilon=0.01)
  extractor = resnet_fpn.FasterRCNNResnet50FpnKerasFeatureExtractor(
      is_training=True, conv_hyperparams=hyperparams, weight_decay=0.01,
      fpn_max_level=5, additional_layer_depth=16,
      override_base_feature_extractor_hyperparams=True)
  proposal = extractor.get_proposal_feature_extractor_model("first")
  convs = _backbone_layers(extractor, keras.layers.Conv2D)
  assert len(convs) == 53  # ResNet-50: 1 stem + 16 blocks * 3 + 4 shortcuts
  for conv in convs:
    # Keras L2 factor 0.5 * 0.0004; the extractor's weight_decay is unused.
    assert conv.kernel_regularizer.l2 == pytest.approx(0.0002)
    assert isinstance(conv.kernel_initializer,
                      keras.initializers.TruncatedNormal)
    assert conv.kernel_initializer.stddev == pytest.approx(0.03)
  # The ResNet's own strides survive.
  assert extractor.classification_backbone.get_layer(
      "conv3_block1_1_conv").strides == (2, 2)
  norms = _backbone_layers(extractor, keras.layers.BatchNormalization)
  assert len(norms) == 53
  for norm in norms:
    assert isinstance(norm, freezable_batch_norm.FreezableBatchNorm)
    config = norm.get_config()
    assert (config["momentum"], config["epsilon"], config["training"]) == (
        pytest.approx(0.9), pytest.approx(0.01), False)
  activations = _backbone_layers(extractor, keras.layers.Activation)
  assert len(activations) == 49  # stem, 2 per block, 1 per block output
  assert {a.get_config()["activation"] for a in activations} == {"relu6"}
  # One loss per backbone kernel: 0.0002 * sum(kernel ** 2).
  losses = extractor.classification_backbone.losses
  assert len(losses) == 53
  expected = sum(0.0002 * np.sum(conv.kernel.numpy() ** 2) for conv in convs)
  assert float(tf.add_n(losses)) == pytest.approx(expected, rel=1e-4)
  images = tf.random.uniform([1, 64, 64, 3], 0, 255, seed=2)
  maps = proposal(extractor.preprocess(images), training=True)
  assert [tuple(m.shape) for m in maps] == [
      (1, 64 // 2 ** level, 64 // 2 ** level, 16) for level in range(2, 6)]


def test_override_without_batch_norm_or_decay():
  hyperparams = default_layer_hyperparams.DefaultLayerHyperparams(
      activation="none", use_batch_norm=False, weight_decay=0.0)
  extractor = resnet_fpn.FasterRCNNResnet50FpnKerasFeatureExtractor(
      is_training=False, conv_hyperparams=hyperparams, weight_decay=0.01,
      fpn_max_level=5, additional_layer_depth=16,
      override_base_feature_extractor_hyperparams=True)
  proposal = extractor.get_proposal_feature_extractor_model("first")
  backbone = extractor.classification_backbone
  assert not _backbone_layers(extractor, keras.layers.BatchNormalization)
  assert not _backbone_layers(extractor, keras.layers.Activation)
  assert backbone.get_layer("conv1_bn").weights == []  # an identity
  assert isinstance(backbone.get_layer("conv1_relu"), keras.layers.Identity)
  # Without a regularizer in conv_hyperparams the backbone adds no loss,
  # whatever weight_decay says.
  assert backbone.losses == []
  maps = proposal(tf.zeros([1, 32, 32, 3]))
  assert tuple(maps[-1].shape) == (1, 1, 1, 16)


def test_override_is_accepted_without_conv_hyperparams():
  # As in the small FPN extractor the flag then has no effect (the model
  # builder rejects it without conv_hyperparams).
  extractor = resnet_fpn.FasterRCNNResnet101FpnKerasFeatureExtractor(
      is_training=True, override_base_feature_extractor_hyperparams=True)
  assert extractor.classification_backbone is None  # built on first use
