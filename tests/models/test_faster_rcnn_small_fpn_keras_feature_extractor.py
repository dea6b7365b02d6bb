"""Tests for models/faster_rcnn_small_fpn_keras_feature_extractor.py."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.models import faster_rcnn_small_fpn_keras_feature_extractor as small_fpn

Extractor = small_fpn.FasterRCNNSmallFpnKerasFeatureExtractor


def _images(batch=2, height=64, width=96, seed=0):
  rng = np.random.default_rng(seed)
  return tf.constant(rng.uniform(0, 255, [batch, height, width, 3]),
                     tf.float32)


def test_proposal_features_levels_and_shapes():
  extractor = Extractor(is_training=True, additional_layer_depth=32)
  assert extractor.fpn_min_level == 2
  assert extractor.fpn_max_level == 6
  assert extractor.proposal_feature_strides == (4, 8, 16, 32, 64)
  assert extractor.classification_backbone is None
  model = extractor.get_proposal_feature_extractor_model("first_stage")
  maps = model(extractor.preprocess(_images(height=70)), training=True)
  assert [tuple(m.shape) for m in maps] == [
      (2, 18, 24, 32), (2, 9, 12, 32), (2, 5, 6, 32), (2, 3, 3, 32),
      (2, 2, 2, 32)]
  assert extractor.get_proposal_feature_extractor_model() is model
  assert extractor.classification_backbone is not None


def test_custom_levels():
  extractor = Extractor(is_training=False, fpn_min_level=3, fpn_max_level=7)
  assert extractor.proposal_feature_strides == (8, 16, 32, 64, 128)
  maps = extractor.get_proposal_feature_extractor_model()(_images())
  assert [tuple(m.shape)[1:3] for m in maps] == [
      (8, 12), (4, 6), (2, 3), (1, 2), (1, 1)]


def test_box_classifier_shape():
  extractor = Extractor(is_training=True, box_classifier_fc_units=48)
  model = extractor.get_box_classifier_feature_extractor_model("second")
  assert tuple(model(tf.zeros([5, 7, 7, 64])).shape) == (5, 1, 1, 48)


def test_preprocess_maps_to_unit_range():
  out = Extractor(is_training=False).preprocess(
      tf.constant([[[[0.0, 127.5, 255.0]]]]))
  np.testing.assert_allclose(out.numpy().ravel(), [-1.0, 0.0, 1.0])


def _build_and_run(seed):
  keras.utils.set_random_seed(seed)
  extractor = Extractor(is_training=True)
  maps = extractor.get_proposal_feature_extractor_model()(
      extractor.preprocess(_images()), training=True)
  return [m.numpy() for m in maps]


def test_deterministic_with_fixed_seed():
  first, second = _build_and_run(3), _build_and_run(3)
  for a, b in zip(first, second):
    np.testing.assert_array_equal(a, b)
  other = _build_and_run(4)
  assert not np.allclose(first[0], other[0])


def test_frozen_batch_norm_keeps_moving_statistics():
  extractor = Extractor(is_training=True, batch_norm_trainable=False)
  extractor.get_proposal_feature_extractor_model()(_images(), training=True)
  bn = extractor.classification_backbone.get_layer("stem_bn")
  np.testing.assert_array_equal(bn.moving_mean.numpy(), 0.0)
  trained = Extractor(is_training=True, batch_norm_trainable=True)
  trained.get_proposal_feature_extractor_model()(_images(), training=True)
  bn = trained.classification_backbone.get_layer("stem_bn")
  assert np.abs(bn.moving_mean.numpy()).max() > 0


def test_weight_decay_adds_losses():
  extractor = Extractor(is_training=True, weight_decay=1e-4)
  model = extractor.get_proposal_feature_extractor_model()
  assert len(model.losses) == 9  # stem + 2 convs in each of C2 .. C5
  assert not Extractor(
      is_training=True).get_proposal_feature_extractor_model().losses


def test_checkpoint_round_trip(tmp_path):
  keras.utils.set_random_seed(1)
  extractor = Extractor(is_training=False)
  proposal = extractor.get_proposal_feature_extractor_model()
  classifier = extractor.get_box_classifier_feature_extractor_model()
  images, crops = _images(), tf.ones([3, 7, 7, 64])
  expected = [m.numpy() for m in proposal(images)] + [
      classifier(crops).numpy()]
  path = tf.train.Checkpoint(proposal=proposal, classifier=classifier).save(
      os.path.join(tmp_path, "ckpt"))

  keras.utils.set_random_seed(2)
  restored = Extractor(is_training=False)
  proposal = restored.get_proposal_feature_extractor_model()
  classifier = restored.get_box_classifier_feature_extractor_model()
  classifier(crops)  # builds the dense layers before the restore
  tf.train.Checkpoint(proposal=proposal, classifier=classifier).restore(
      path).assert_consumed()
  actual = [m.numpy() for m in proposal(images)] + [classifier(crops).numpy()]
  for a, b in zip(expected, actual):
    np.testing.assert_array_equal(a, b)


def test_restore_from_classification_checkpoint(tmp_path):
  keras.utils.set_random_seed(1)
  source = Extractor(is_training=False)
  source.get_proposal_feature_extractor_model()
  path = tf.train.Checkpoint(
      feature_extractor=source.classification_backbone).save(
          os.path.join(tmp_path, "classification"))
  keras.utils.set_random_seed(2)
  target = Extractor(is_training=False)
  target.get_proposal_feature_extractor_model()
  objects = target.restore_from_classification_checkpoint_fn(
      "FirstStageFeatureExtractor", "SecondStageFeatureExtractor")
  assert list(objects) == ["feature_extractor"]
  tf.train.Checkpoint(**objects).restore(path).assert_consumed()
  for a, b in zip(source.classification_backbone.weights,
                  target.classification_backbone.weights):
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_restore_before_build_raises():
  with pytest.raises(ValueError, match="build the models with "
                     "get_proposal_feature_extractor_model first"):
    Extractor(is_training=False).restore_from_classification_checkpoint_fn(
        "a", "b")


@pytest.mark.parametrize("kwargs,message", [
    ({"fpn_min_level": 1}, r"fpn min_level must be in \[2, 5\], got 1"),
    ({"fpn_min_level": 4, "fpn_max_level": 3},
     r"fpn max_level must be >= min_level \(4\), got 3"),
    ({"first_stage_features_stride": 32},
     "first_stage_features_stride must be 8 or 16, got 32"),
    ({"backbone_depths": (8, 8)},
     r"backbone_depths must be 5 positive ints, got \(8, 8\)"),
    ({"additional_layer_depth": 0},
     "additional_layer_depth and box_classifier_fc_units must be >= 1, got "
     "0 and 256"),
    ({"weight_decay": -0.1}, r"weight_decay must be >= 0, got -0.1"),
])
def test_invalid_arguments(kwargs, message):
  with pytest.raises(ValueError, match=message):
    Extractor(is_training=True, **kwargs)


def test_override_base_feature_extractor_hyperparams():
  hyperparams = default_layer_hyperparams.DefaultLayerHyperparams(
      activation="relu6", use_batch_norm=False, weight_decay=1e-3)
  extractor = Extractor(is_training=True, conv_hyperparams=hyperparams,
                        override_base_feature_extractor_hyperparams=True)
  extractor.get_proposal_feature_extractor_model()
  backbone = extractor.classification_backbone
  # The configured convs have biases and no batch norm, and every conv kernel
  # (9 backbone, 4 lateral, 5 FPN output/extra) is regularized.
  assert backbone.get_layer("stem_conv").use_bias
  assert len(extractor.get_proposal_feature_extractor_model().losses) == 18
