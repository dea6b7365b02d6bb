"""Tests for object_detection/models/default_layer_hyperparams.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.models import freezable_batch_norm

Hyperparams = default_layer_hyperparams.DefaultLayerHyperparams


def test_params_without_batch_norm_use_bias_and_no_activation():
  params = Hyperparams().params()
  assert params["use_bias"] is True
  assert params["activation"] is None
  assert params["kernel_regularizer"] is None


def test_params_overrides_and_activation():
  hyperparams = Hyperparams(activation="relu6", use_batch_norm=True)
  assert hyperparams.params()["use_bias"] is False
  assert hyperparams.params(use_bias=True)["use_bias"] is True
  assert hyperparams.params(include_activation=True)["activation"] == "relu6"


def test_weight_decay_is_half_l2():
  layer = keras.layers.Dense(1, **Hyperparams(weight_decay=0.1).params())
  layer.build((None, 2))
  layer.kernel.assign([[1.0], [2.0]])
  # 0.5 * 0.1 * (1 + 4) = 0.25
  np.testing.assert_allclose(float(tf.add_n(layer.losses)), 0.25, rtol=1e-6)


def test_build_batch_norm_and_activation_layers():
  assert isinstance(Hyperparams().build_batch_norm(name="bn"),
                    keras.layers.Identity)
  batch_norm = Hyperparams(use_batch_norm=True).build_batch_norm(
      training=False, name="bn")
  assert isinstance(batch_norm, freezable_batch_norm.FreezableBatchNorm)
  assert batch_norm.name == "bn"
  relu6 = Hyperparams(activation="relu6").build_activation_layer("act")
  np.testing.assert_allclose(relu6(tf.constant([-1.0, 7.0])).numpy(),
                             [0.0, 6.0])


def test_errors():
  with pytest.raises(ValueError, match=r"activation must be one of \['none', "
                     r"'relu', 'relu6', 'swish'\], got 'tanh'"):
    Hyperparams(activation="tanh")
  with pytest.raises(ValueError, match="weight_decay must be >= 0, got -1"):
    Hyperparams(weight_decay=-1)
