"""Tests for object_detection/predictors/rpn_box_predictor.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.predictors import box_predictor
from object_detection.predictors import rpn_box_predictor

_HYPERPARAMS = default_layer_hyperparams.DefaultLayerHyperparams(
    use_batch_norm=True)


def test_single_map_shapes():
  predictor = rpn_box_predictor.RpnBoxPredictor(
      is_training=True, num_anchors_per_location=[9],
      conv_hyperparams=_HYPERPARAMS, kernel_size=3, depth=16, atrous_rate=2)
  out = predictor(tf.ones([2, 6, 5, 8]), training=True)
  assert tuple(out[box_predictor.BOX_ENCODINGS].shape) == (2, 270, 4)
  assert tuple(out[
      box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND].shape) == (2, 270, 2)
  [features] = out[box_predictor.RPN_BOX_PREDICTOR_FEATURES]
  assert tuple(features.shape) == (2, 6, 5, 16)
  # ReLU6 output.
  assert float(tf.reduce_min(features)) >= 0.0
  assert float(tf.reduce_max(features)) <= 6.0


def test_fpn_levels_share_weights_and_keep_order():
  predictor = rpn_box_predictor.RpnBoxPredictor(
      is_training=True, num_anchors_per_location=[3, 3, 3],
      conv_hyperparams=_HYPERPARAMS, depth=8)
  maps = [tf.random.normal([1, 8, 8, 4], seed=1),
          tf.random.normal([1, 4, 4, 4], seed=2),
          tf.random.normal([1, 2, 2, 4], seed=3)]
  out = predictor(maps)
  assert tuple(out[box_predictor.BOX_ENCODINGS].shape) == (1, 3 * 84, 4)
  # RPN conv (no bias with batch norm), batch norm, 2 x (kernel, bias).
  assert len(predictor.trainable_variables) == 7
  # The level-1 part of the concatenation equals a level-1-only call.
  alone = predictor([maps[1], maps[1], maps[1]])[box_predictor.BOX_ENCODINGS]
  np.testing.assert_allclose(
      out[box_predictor.BOX_ENCODINGS].numpy()[:, 192:240],
      alone.numpy()[:, :48], rtol=1e-5, atol=1e-6)


def test_different_anchor_counts_get_separate_heads():
  predictor = rpn_box_predictor.RpnBoxPredictor(
      is_training=False, num_anchors_per_location=[2, 4],
      conv_hyperparams=_HYPERPARAMS, depth=8)
  out = predictor([tf.ones([1, 4, 4, 4]), tf.ones([1, 2, 2, 4])])
  assert tuple(out[
      box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND].shape) == (1, 48, 2)
  assert len(predictor.trainable_variables) == 11


def test_errors():
  with pytest.raises(ValueError, match=r"num_anchors_per_location must be a "
                     r"non-empty list of ints >= 1, got \[\]"):
    rpn_box_predictor.RpnBoxPredictor(True, [], _HYPERPARAMS)
  with pytest.raises(ValueError, match="kernel_size, depth and atrous_rate "
                     "must be >= 1, got 3, 512, 0"):
    rpn_box_predictor.RpnBoxPredictor(True, [3], _HYPERPARAMS, atrous_rate=0)
  predictor = rpn_box_predictor.RpnBoxPredictor(True, [3, 3], _HYPERPARAMS,
                                                depth=4)
  with pytest.raises(ValueError, match="got 1 feature maps for 2 anchor "
                     "layouts"):
    predictor([tf.ones([1, 2, 2, 4])])


def test_checkpoint_round_trip(tmp_path):
  maps = [tf.random.normal([1, 4, 4, 4], seed=1),
          tf.random.normal([1, 2, 2, 4], seed=2)]

  def build():
    predictor = rpn_box_predictor.RpnBoxPredictor(
        is_training=False, num_anchors_per_location=[2, 3],
        conv_hyperparams=_HYPERPARAMS, depth=8)
    return predictor, predictor(maps)

  keras.utils.set_random_seed(0)
  predictor, expected = build()
  path = tf.train.Checkpoint(rpn=predictor).save(str(tmp_path / "ckpt"))
  keras.utils.set_random_seed(1)
  restored, _ = build()
  tf.train.Checkpoint(rpn=restored).restore(path).assert_consumed()
  actual = restored(maps)
  for key in (box_predictor.BOX_ENCODINGS,
              box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND):
    np.testing.assert_array_equal(actual[key].numpy(), expected[key].numpy())
