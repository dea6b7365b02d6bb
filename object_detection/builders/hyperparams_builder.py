"""Builds Keras layer hyperparameters from a `Hyperparams` proto.

`KerasLayerHyperparams(config)` turns the TF OD API's layer settings into
keyword arguments for `keras.layers.Conv2D` / `Dense` and into batch norm
and activation layers, with the TF OD API's conversions:

  * l2_regularizer.weight w becomes keras L2(0.5 * w), i.e. the loss added
    per kernel is 0.5 * w * sum(kernel ** 2), the TF1/slim convention;
  * batch_norm.decay becomes the Keras momentum (same meaning);
  * variance_scaling_initializer {factor, mode, uniform} becomes
    VarianceScaling(scale=factor, mode=fan_in|fan_out|fan_avg,
    distribution=uniform|truncated_normal);
  * batch norm with center=true means layers get no bias (unless
    force_use_bias).

`op` (CONV/FC) and `regularize_depthwise` need no translation for Keras
layers; sync_batch_norm gives the same layer as batch_norm (statistics are
per replica). group_norm is not supported.
"""

from typing import Any, Callable, Dict, Optional, Union

import keras

from object_detection.models import freezable_batch_norm
from object_detection.protos import hyperparams_pb2

_ACTIVATIONS = {
    hyperparams_pb2.Hyperparams.NONE: None,
    hyperparams_pb2.Hyperparams.RELU: "relu",
    hyperparams_pb2.Hyperparams.RELU_6: "relu6",
    hyperparams_pb2.Hyperparams.SWISH: "silu",
}

_MODES = {
    hyperparams_pb2.VarianceScalingInitializer.FAN_IN: "fan_in",
    hyperparams_pb2.VarianceScalingInitializer.FAN_OUT: "fan_out",
    hyperparams_pb2.VarianceScalingInitializer.FAN_AVG: "fan_avg",
}


def _build_regularizer(config: hyperparams_pb2.Regularizer, path: str
                       ) -> Optional[keras.regularizers.Regularizer]:
  kind = config.WhichOneof("regularizer_oneof")
  if kind is None:
    return None
  weight = getattr(config, kind).weight
  if weight < 0:
    raise ValueError("{}.{}.weight: must be >= 0, got {}".format(
        path, kind, weight))
  if kind == "l1_regularizer":
    return keras.regularizers.L1(float(weight))
  return keras.regularizers.L2(float(weight) * 0.5)


def _build_initializer(config: hyperparams_pb2.Initializer, path: str
                       ) -> Union[None, str, keras.initializers.Initializer]:
  kind = config.WhichOneof("initializer_oneof")
  if kind is None:
    return None
  if kind == "keras_initializer_by_name":
    name = config.keras_initializer_by_name
    try:
      keras.initializers.get(name)
    except ValueError:
      raise ValueError("{}.keras_initializer_by_name: unknown Keras "
                       "initializer {!r}".format(path, name)) from None
    return name
  params = getattr(config, kind)
  if kind == "variance_scaling_initializer":
    if not params.factor > 0:
      raise ValueError("{}.{}.factor: must be > 0, got {}".format(
          path, kind, params.factor))
    return keras.initializers.VarianceScaling(
        scale=params.factor, mode=_MODES[params.mode],
        distribution="uniform" if params.uniform else "truncated_normal")
  if not params.stddev > 0:
    raise ValueError("{}.{}.stddev: must be > 0, got {}".format(
        path, kind, params.stddev))
  if kind == "truncated_normal_initializer":
    return keras.initializers.TruncatedNormal(mean=params.mean,
                                              stddev=params.stddev)
  return keras.initializers.RandomNormal(mean=params.mean,
                                         stddev=params.stddev)


def _build_batch_norm_params(config: hyperparams_pb2.BatchNorm, path: str
                             ) -> Dict[str, Any]:
  if not 0.0 <= config.decay <= 1.0:
    raise ValueError("{}.decay: must be in [0, 1], got {}".format(
        path, config.decay))
  if not config.epsilon > 0:
    raise ValueError("{}.epsilon: must be > 0, got {}".format(
        path, config.epsilon))
  return {"momentum": config.decay, "center": config.center,
          "scale": config.scale, "epsilon": config.epsilon}


class KerasLayerHyperparams:
  """Keras layer hyperparameters built from a `Hyperparams` proto.

  Args:
    hyperparams_config: a hyperparams_pb2.Hyperparams.
    path: config path of the message, used in error messages (e.g.
      "model.faster_rcnn.first_stage_box_predictor_conv_hyperparams").

  Raises:
    TypeError: for a message of another type.
    ValueError: for unsupported (group_norm) or out-of-range fields; the
      message names the field.
  """

  def __init__(self, hyperparams_config: hyperparams_pb2.Hyperparams, *,
               path: str = "hyperparams"):
    if not isinstance(hyperparams_config, hyperparams_pb2.Hyperparams):
      raise TypeError("{}: expected a Hyperparams message, got {}".format(
          path, type(hyperparams_config).__name__))
    normalizer = hyperparams_config.WhichOneof("normalizer_oneof")
    if normalizer == "group_norm":
      raise ValueError(
          "{}.group_norm: not supported; use batch_norm or sync_batch_norm"
          .format(path))
    self._batch_norm_params = None
    if normalizer is not None:
      self._batch_norm_params = _build_batch_norm_params(
          getattr(hyperparams_config, normalizer),
          "{}.{}".format(path, normalizer))
    self._use_sync_batch_norm = normalizer == "sync_batch_norm"
    self._batch_norm_train = (normalizer is None or getattr(
        hyperparams_config, normalizer).train)
    self._force_use_bias = hyperparams_config.force_use_bias
    self._regularize_depthwise = hyperparams_config.regularize_depthwise
    self._activation = _ACTIVATIONS[hyperparams_config.activation]
    self._op_params = {
        "kernel_regularizer": _build_regularizer(
            hyperparams_config.regularizer, path + ".regularizer"),
        "kernel_initializer": _build_initializer(
            hyperparams_config.initializer, path + ".initializer"),
    }

  def use_batch_norm(self) -> bool:
    """Whether layers are followed by batch normalization."""
    return self._batch_norm_params is not None

  def use_sync_batch_norm(self) -> bool:
    """Whether the config asked for sync_batch_norm."""
    return self._use_sync_batch_norm

  def batch_norm_trainable(self) -> bool:
    """The `train` field of the batch norm config (True without one)."""
    return self._batch_norm_train

  def force_use_bias(self) -> bool:
    """The force_use_bias field."""
    return self._force_use_bias

  def regularize_depthwise(self) -> bool:
    """The regularize_depthwise field (for depthwise kernels)."""
    return self._regularize_depthwise

  def use_bias(self) -> bool:
    """False when a centred batch norm follows (its beta is the bias)."""
    return self._force_use_bias or not (
        self.use_batch_norm() and self._batch_norm_params["center"])

  def batch_norm_params(self, **overrides: Any) -> Dict[str, Any]:
    """Keyword arguments for a BatchNormalization layer.

    Args:
      **overrides: entries replacing the configured ones, for this call.

    Returns:
      dict with momentum, center, scale, epsilon (empty without batch
      norm) updated with overrides.
    """
    params = dict(self._batch_norm_params or {})
    params.update(overrides)
    return params

  def build_batch_norm(self, training: Optional[bool] = None,
                       **overrides: Any) -> keras.layers.Layer:
    """A batch norm layer, or an identity layer without batch norm.

    Args:
      training: False pins inference mode (frozen statistics); True or None
        follow the caller's `training`.
      **overrides: BatchNormalization keyword arguments (e.g. name).

    Returns:
      a FreezableBatchNorm, or keras.layers.Identity.
    """
    if not self.use_batch_norm():
      return keras.layers.Identity(name=overrides.get("name"))
    return freezable_batch_norm.FreezableBatchNorm(
        training=training, **self.batch_norm_params(**overrides))

  def build_activation_layer(self, name: str = "activation"
                             ) -> keras.layers.Layer:
    """The configured activation as a layer (identity for NONE)."""
    if self._activation is None:
      return keras.layers.Identity(name=name)
    return keras.layers.Activation(self._activation, name=name)

  def get_regularizer_weight(self) -> Optional[float]:
    """The Keras l1 or l2 weight (0.5 * the config's l2 weight), or None."""
    regularizer = self._op_params["kernel_regularizer"]
    for attribute in ("l1", "l2"):
      if hasattr(regularizer, attribute):
        return float(getattr(regularizer, attribute))
    return None

  def params(self, include_activation: bool = False,
             **overrides: Any) -> Dict[str, Any]:
    """Keyword arguments for keras.layers.Conv2D / Dense.

    Args:
      include_activation: if False `activation` is None (add the layer from
        build_activation_layer); if True it is the configured activation.
      **overrides: entries replacing the computed ones, for this call.

    Returns:
      dict with kernel_regularizer, kernel_initializer, activation,
      use_bias, updated with overrides.
    """
    params = dict(self._op_params)
    # A fresh initializer per layer: one Keras 3 initializer object draws
    # the same values on every call, so shared, same-shaped layers would
    # start identical.
    params["kernel_initializer"] = _fresh(params["kernel_initializer"])
    params["activation"] = self._activation if include_activation else None
    params["use_bias"] = self.use_bias()
    params.update(overrides)
    return params


def _fresh(initializer):
  if isinstance(initializer, keras.initializers.Initializer):
    return initializer.__class__.from_config(initializer.get_config())
  return initializer


def activation_fn(hyperparams_config: hyperparams_pb2.Hyperparams
                  ) -> Optional[Callable]:
  """The configured activation as a Keras activation callable (or None)."""
  name = _ACTIVATIONS[hyperparams_config.activation]
  return None if name is None else keras.activations.get(name)
