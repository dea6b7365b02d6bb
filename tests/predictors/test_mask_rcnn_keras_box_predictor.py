"""Tests for object_detection/predictors/mask_rcnn_keras_box_predictor.py."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.predictors import box_predictor
from object_detection.predictors import mask_rcnn_keras_box_predictor as mask_rcnn

_FC = default_layer_hyperparams.DefaultLayerHyperparams(activation="none")
_CONV = default_layer_hyperparams.DefaultLayerHyperparams(use_batch_norm=True)


def _predictor(**kwargs):
  args = dict(is_training=True, num_classes=3, fc_hyperparams=_FC,
              freeze_batchnorm=False, use_dropout=False,
              dropout_keep_prob=1.0, box_code_size=4,
              predict_instance_masks=True, conv_hyperparams=_CONV,
              mask_height=14, mask_width=14,
              mask_prediction_num_conv_layers=2,
              mask_prediction_conv_depth=8)
  args.update(kwargs)
  return mask_rcnn.build_mask_rcnn_keras_box_predictor(**args)


def test_stage_outputs():
  predictor = _predictor()
  assert predictor.num_classes == 3
  assert predictor.get_third_stage_prediction_heads() == [
      box_predictor.MASK_PREDICTIONS]
  features = [tf.ones([6, 7, 7, 32])]
  second = predictor(features, prediction_stage=2, training=True)
  assert sorted(second) == sorted(
      predictor.get_second_stage_prediction_heads())
  assert tuple(second[box_predictor.BOX_ENCODINGS].shape) == (6, 1, 3, 4)
  assert tuple(second[
      box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND].shape) == (6, 1, 4)
  third = predictor(features, prediction_stage=3, training=True)
  assert tuple(third[box_predictor.MASK_PREDICTIONS].shape) == (
      6, 1, 3, 14, 14)


def test_class_agnostic_and_shared_boxes():
  predictor = _predictor(share_box_across_classes=True,
                         masks_are_class_agnostic=True)
  features = [tf.ones([2, 1, 1, 16])]
  assert tuple(predictor(features)[box_predictor.BOX_ENCODINGS].shape) == (
      2, 1, 1, 4)
  masks = predictor(features, prediction_stage=3)[
      box_predictor.MASK_PREDICTIONS]
  assert tuple(masks.shape) == (2, 1, 1, 14, 14)


def test_without_masks():
  predictor = _predictor(predict_instance_masks=False, conv_hyperparams=None)
  assert predictor.get_third_stage_prediction_heads() == []
  assert predictor([tf.ones([1, 2, 2, 4])], prediction_stage=3) == {}


def test_checkpoint_round_trip(tmp_path):
  keras.utils.set_random_seed(0)
  predictor = _predictor(is_training=False)
  features = [tf.random.normal([2, 7, 7, 16], seed=3)]
  expected = {**predictor(features), **predictor(features,
                                                 prediction_stage=3)}
  path = tf.train.Checkpoint(predictor=predictor).save(
      os.path.join(tmp_path, "ckpt"))
  keras.utils.set_random_seed(1)
  restored = _predictor(is_training=False)
  restored(features)
  restored(features, prediction_stage=3)
  tf.train.Checkpoint(predictor=restored).restore(path).assert_consumed()
  actual = {**restored(features), **restored(features, prediction_stage=3)}
  for key, value in expected.items():
    np.testing.assert_array_equal(actual[key].numpy(), value.numpy())


def test_errors():
  predictor = _predictor()
  with pytest.raises(ValueError, match="image_features must hold exactly one "
                     "tensor, got 2"):
    predictor([tf.ones([1, 2, 2, 4])] * 2)
  with pytest.raises(ValueError,
                     match="prediction_stage must be 2 or 3, got 1"):
    predictor([tf.ones([1, 2, 2, 4])], prediction_stage=1)
  with pytest.raises(ValueError,
                     match="predict_instance_masks needs conv_hyperparams"):
    _predictor(conv_hyperparams=None)


def test_variables_are_not_duplicated():
  predictor = _predictor(mask_prediction_num_conv_layers=2)
  features = [tf.ones([1, 7, 7, 16])]
  predictor(features)
  predictor(features, prediction_stage=3)
  # box: kernel, bias; class: kernel, bias; mask: conv kernel, batch norm
  # gamma and beta, last conv kernel and bias.
  assert len(predictor.trainable_variables) == 9
