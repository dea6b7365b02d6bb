"""Tests for object_detection/builders/hyperparams_builder.py."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from google.protobuf import text_format

from object_detection.builders import hyperparams_builder
from object_detection.models import freezable_batch_norm
from object_detection.protos import hyperparams_pb2
from tests.conftest import upstream_params

_CONV = """
  regularizer { l2_regularizer { weight: 0.0004 } }
  initializer { truncated_normal_initializer { mean: 0.0 stddev: 0.01 } }
  activation: RELU_6
  batch_norm { decay: 0.9 epsilon: 0.01 scale: true train: false }
"""


def _hyperparams(text):
  return hyperparams_builder.KerasLayerHyperparams(
      text_format.Parse(text, hyperparams_pb2.Hyperparams()))


def test_params_for_keras_layers():
  hyperparams = _hyperparams(_CONV)
  params = hyperparams.params()
  # Keras L2 weight is half the slim weight: 0.5 * 0.0004.
  assert isinstance(params["kernel_regularizer"], keras.regularizers.L2)
  assert hyperparams.get_regularizer_weight() == pytest.approx(0.0002)
  initializer = params["kernel_initializer"]
  assert isinstance(initializer, keras.initializers.TruncatedNormal)
  assert initializer.get_config()["stddev"] == pytest.approx(0.01)
  # A centred batch norm follows, so no bias; activation applied separately.
  assert params["use_bias"] is False and params["activation"] is None
  assert hyperparams.params(include_activation=True)["activation"] == "relu6"
  assert hyperparams.params(use_bias=True)["use_bias"] is True
  layer = keras.layers.Conv2D(4, 3, **hyperparams.params())
  layer(tf.zeros([1, 5, 5, 2]))
  # Regularization loss = 0.0002 * sum(kernel^2).
  expected = 0.0002 * float(tf.reduce_sum(tf.square(layer.kernel)))
  assert float(layer.losses[0]) == pytest.approx(expected, rel=1e-5)


def test_batch_norm_layer():
  hyperparams = _hyperparams(_CONV)
  assert hyperparams.use_batch_norm() and not hyperparams.use_sync_batch_norm()
  assert hyperparams.batch_norm_params() == pytest.approx(
      {"momentum": 0.9, "center": True, "scale": True, "epsilon": 0.01})
  assert not hyperparams.batch_norm_trainable()
  layer = hyperparams.build_batch_norm(training=False, name="bn")
  assert isinstance(layer, freezable_batch_norm.FreezableBatchNorm)
  assert layer.momentum == pytest.approx(0.9) and layer.name == "bn"


def test_no_batch_norm_gives_identity_and_bias():
  hyperparams = _hyperparams("activation: NONE")
  assert not hyperparams.use_batch_norm()
  assert hyperparams.params()["use_bias"] is True
  assert hyperparams.params()["kernel_regularizer"] is None
  assert hyperparams.params()["kernel_initializer"] is None
  x = tf.constant([[-1.0, 2.0]])
  np.testing.assert_allclose(hyperparams.build_batch_norm()(x), x)
  np.testing.assert_allclose(hyperparams.build_activation_layer("a")(x), x)


def test_activation_layer_and_force_use_bias():
  hyperparams = _hyperparams(_CONV + "force_use_bias: true")
  assert hyperparams.params()["use_bias"] is True
  layer = hyperparams.build_activation_layer(name="act")
  np.testing.assert_allclose(layer(tf.constant([-1.0, 3.0, 9.0])),
                             [0.0, 3.0, 6.0])
  assert layer.name == "act"


@pytest.mark.parametrize("text, expected_config", [
    ("initializer { variance_scaling_initializer { factor: 1.0 mode: FAN_AVG "
     "uniform: true } }",
     {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform"}),
    ("initializer { variance_scaling_initializer {} }",
     {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("initializer { random_normal_initializer { mean: 1.0 stddev: 0.5 } }",
     {"mean": 1.0, "stddev": 0.5}),
])
def test_initializers(text, expected_config):
  initializer = _hyperparams(text).params()["kernel_initializer"]
  config = initializer.get_config()
  for key, value in expected_config.items():
    assert config[key] == pytest.approx(value) if isinstance(
        value, float) else config[key] == value


def test_keras_initializer_by_name_and_l1():
  hyperparams = _hyperparams(
      'initializer { keras_initializer_by_name: "glorot_uniform" } '
      "regularizer { l1_regularizer { weight: 0.5 } }")
  assert hyperparams.params()["kernel_initializer"] == "glorot_uniform"
  assert hyperparams.get_regularizer_weight() == pytest.approx(0.5)


@pytest.mark.parametrize("text, message", [
    ("group_norm {}", "hyperparams.group_norm: not supported"),
    ('initializer { keras_initializer_by_name: "nope" }',
     "hyperparams.initializer.keras_initializer_by_name: unknown Keras "
     "initializer 'nope'"),
    ("initializer { truncated_normal_initializer { stddev: 0 } }",
     r"hyperparams.initializer.truncated_normal_initializer.stddev: must be "
     r"> 0, got 0.0"),
    ("regularizer { l2_regularizer { weight: -1 } }",
     r"hyperparams.regularizer.l2_regularizer.weight: must be >= 0"),
    ("batch_norm { epsilon: 0 }", "hyperparams.batch_norm.epsilon: must be > 0"),
])
def test_errors(text, message):
  with pytest.raises(ValueError, match="^" + message):
    _hyperparams(text)


def test_path_and_type_error():
  with pytest.raises(ValueError, match="^model.faster_rcnn.first_stage_box_"
                     "predictor_conv_hyperparams.group_norm"):
    hyperparams_builder.KerasLayerHyperparams(
        text_format.Parse("group_norm {}", hyperparams_pb2.Hyperparams()),
        path="model.faster_rcnn.first_stage_box_predictor_conv_hyperparams")
  with pytest.raises(TypeError, match="expected a Hyperparams message"):
    hyperparams_builder.KerasLayerHyperparams(hyperparams_pb2.BatchNorm())


@pytest.mark.parametrize("config_path", upstream_params("*/*rcnn*.config"))
def test_upstream_faster_rcnn_hyperparams_build(config_path):
  from object_detection.protos import pipeline_pb2  # pylint: disable=g-import-not-at-top
  with open(config_path) as config_file:
    config = text_format.Parse(config_file.read(),
                               pipeline_pb2.TrainEvalPipelineConfig())
  faster_rcnn = config.model.faster_rcnn
  configs = [faster_rcnn.first_stage_box_predictor_conv_hyperparams]
  predictor = faster_rcnn.second_stage_box_predictor
  predictor = getattr(predictor, predictor.WhichOneof("box_predictor_oneof"))
  for name in ("fc_hyperparams", "conv_hyperparams"):
    if name in predictor.DESCRIPTOR.fields_by_name and predictor.HasField(
        name):
      configs.append(getattr(predictor, name))
  for hyperparams_config in configs:
    params = hyperparams_builder.KerasLayerHyperparams(
        hyperparams_config).params()
    # Every upstream R-CNN config uses L2 weight 0 (the halving of a non-zero
    # weight is pinned above); what this adds is that each config's params
    # build a Keras layer that runs.
    regularizer = hyperparams_config.regularizer
    if regularizer.WhichOneof("regularizer_oneof") == "l2_regularizer":
      assert params["kernel_regularizer"].get_config()["l2"] == pytest.approx(
          0.5 * regularizer.l2_regularizer.weight)
    layer = tf.keras.layers.Dense(3, **params)
    assert layer(tf.ones([2, 4])).shape == (2, 3)

def test_each_layer_gets_its_own_initial_values():
  # One Keras 3 initializer object draws the same values on every call;
  # params() hands each layer a fresh one, so same-shaped layers differ.
  hyperparams = _hyperparams(_CONV)
  first = keras.layers.Conv2D(4, 3, **hyperparams.params())
  second = keras.layers.Conv2D(4, 3, **hyperparams.params())
  first.build((None, 8, 8, 2))
  second.build((None, 8, 8, 2))
  assert not np.allclose(first.kernel.numpy(), second.kernel.numpy())
  assert float(np.std(first.kernel.numpy())) == pytest.approx(0.0088, abs=0.003)
