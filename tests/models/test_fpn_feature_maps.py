"""Tests for object_detection/models/fpn_feature_maps.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.models import fpn_feature_maps


def test_upsample_add_values_and_crop():
  coarse = tf.reshape(tf.constant([1.0, 2.0, 3.0, 4.0]), [1, 2, 2, 1])
  fine = tf.ones([1, 3, 4, 1])  # odd height: the upsampled map is cropped
  out = fpn_feature_maps.UpsampleAdd()([coarse, fine])
  expected = 1.0 + np.array([[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4]])
  np.testing.assert_allclose(out.numpy()[0, :, :, 0], expected)


def _symbolic_features():
  inputs = keras.Input((None, None, 3))
  c2 = keras.layers.Conv2D(4, 3, strides=4, padding="same")(inputs)
  c3 = keras.layers.Conv2D(5, 3, strides=2, padding="same")(c2)
  c4 = keras.layers.Conv2D(6, 3, strides=2, padding="same")(c3)
  c5 = keras.layers.Conv2D(7, 3, strides=2, padding="same")(c4)
  return inputs, {2: c2, 3: c3, 4: c4, 5: c5}


@pytest.mark.parametrize("min_level,max_level", [(2, 6), (3, 7), (2, 5),
                                                 (4, 4)])
def test_levels_and_shapes(min_level, max_level):
  inputs, features = _symbolic_features()
  outputs = fpn_feature_maps.build_fpn(
      features, min_level, max_level, 8,
      default_layer_hyperparams.DefaultLayerHyperparams(), False)
  model = keras.Model(inputs, outputs)
  maps = model(tf.zeros([2, 100, 60, 3]))
  maps = maps if isinstance(maps, list) else [maps]
  assert [tuple(m.shape) for m in maps] == [
      (2, -(-100 // 2 ** level), -(-60 // 2 ** level), 8)
      for level in range(min_level, max_level + 1)]


def test_errors():
  _, features = _symbolic_features()
  hyperparams = default_layer_hyperparams.DefaultLayerHyperparams()
  with pytest.raises(ValueError, match=r"min_level \(4\) must be <= "
                     r"max_level \(3\)"):
    fpn_feature_maps.build_fpn(features, 4, 3, 8, hyperparams, False)
  with pytest.raises(ValueError, match=r"no backbone features for levels "
                     r"\[1\]; have \[2, 3, 4, 5\]"):
    fpn_feature_maps.build_fpn(features, 1, 5, 8, hyperparams, False)
  with pytest.raises(ValueError, match="FPN depth must be >= 1, got 0"):
    fpn_feature_maps.build_fpn(features, 2, 5, 0, hyperparams, False)
