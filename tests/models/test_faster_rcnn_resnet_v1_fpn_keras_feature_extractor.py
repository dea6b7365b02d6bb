"""Tests for models/faster_rcnn_resnet_v1_fpn_keras_feature_extractor.py."""

import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
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
    ({"override_base_feature_extractor_hyperparams": True},
     "override_base_feature_extractor_hyperparams is not supported"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    resnet_fpn.FasterRCNNResnet50FpnKerasFeatureExtractor(
        is_training=True, **kwargs)
