"""DefaultLayerHyperparams: layer hyperparameters without a config.

Feature extractors and prediction heads take a "layer hyperparameters" object
with the interface of the TF OD API's `KerasLayerHyperparams` (built from a
`Hyperparams` proto by `builders/hyperparams_builder.py`):

  * `params(include_activation=False, **overrides)` -> kwargs for
    keras Conv2D / Dense (initializer, regularizer, use_bias, activation);
  * `use_batch_norm()` -> bool;
  * `build_batch_norm(training=None, **overrides)` -> a layer (batch
    normalization, or identity when batch norm is off);
  * `build_activation_layer(name)` -> a layer.

This module gives a small plain-Python implementation of that interface, used
where no proto is involved: the defaults of optional `conv_hyperparams`
arguments and unit tests.
"""

from typing import Any, Dict, Optional

import keras

from object_detection.models import freezable_batch_norm

_ACTIVATIONS = {
    "none": None,
    "relu": "relu",
    "relu6": "relu6",
    "swish": "silu",
}


class DefaultLayerHyperparams:
  """Hyperparameters of Conv2D / Dense layers given by plain arguments.

  Attributes are read through the `KerasLayerHyperparams` methods only.
  """

  def __init__(self,
               activation: str = "relu",
               use_batch_norm: bool = False,
               weight_decay: float = 0.0,
               initializer_stddev: Optional[float] = None,
               batch_norm_momentum: float = 0.997,
               batch_norm_epsilon: float = 0.001):
    """Creates the hyperparameters.

    Args:
      activation: one of "none", "relu", "relu6", "swish".
      use_batch_norm: whether convolutions are followed by batch norm (and
        then have no bias).
      weight_decay: L2 weight decay; the loss added per kernel is
        0.5 * weight_decay * sum(kernel ** 2), as in the TF OD API. 0 adds none.
      initializer_stddev: stddev of a truncated normal kernel initializer;
        None uses He (variance scaling, fan-in, scale 2) initialization.
      batch_norm_momentum: decay of the moving statistics, in (0, 1).
      batch_norm_epsilon: variance epsilon, > 0.

    Raises:
      ValueError: if `activation` is not a supported name or weight_decay < 0.
    """
    if activation not in _ACTIVATIONS:
      raise ValueError(
          "DefaultLayerHyperparams: activation must be one of {}, got "
          "{!r}".format(sorted(_ACTIVATIONS), activation))
    if weight_decay < 0:
      raise ValueError(
          "DefaultLayerHyperparams: weight_decay must be >= 0, got "
          "{}".format(weight_decay))
    self._activation = activation
    self._use_batch_norm = use_batch_norm
    self._weight_decay = weight_decay
    self._initializer_stddev = initializer_stddev
    self._batch_norm_momentum = batch_norm_momentum
    self._batch_norm_epsilon = batch_norm_epsilon

  def use_batch_norm(self) -> bool:
    """Whether layers built with these hyperparams use batch norm."""
    return self._use_batch_norm

  def params(self, include_activation: bool = False,
             **overrides: Any) -> Dict[str, Any]:
    """Keyword arguments for keras.layers.Conv2D / Dense.

    Args:
      include_activation: whether to include the activation; otherwise
        `activation` is None and callers add `build_activation_layer`.
      **overrides: entries that replace the computed ones (e.g. use_bias).

    Returns:
      dict with kernel_initializer, kernel_regularizer, use_bias, activation.
    """
    if self._initializer_stddev is None:
      initializer = keras.initializers.VarianceScaling(
          scale=2.0, mode="fan_in", distribution="truncated_normal")
    else:
      initializer = keras.initializers.TruncatedNormal(
          stddev=self._initializer_stddev)
    regularizer = (keras.regularizers.L2(0.5 * self._weight_decay)
                   if self._weight_decay > 0 else None)
    kwargs = {
        "kernel_initializer": initializer,
        "kernel_regularizer": regularizer,
        "use_bias": not self._use_batch_norm,
        "activation": (_ACTIVATIONS[self._activation]
                       if include_activation else None),
    }
    kwargs.update(overrides)
    return kwargs

  def build_batch_norm(self, training: Optional[bool] = None,
                       **overrides: Any) -> keras.layers.Layer:
    """Batch norm layer, or an identity layer when batch norm is off.

    Args:
      training: False pins inference mode (frozen statistics); True or None
        follow the caller's `training`.
      **overrides: keyword arguments of the batch norm layer (e.g. name).

    Returns:
      a keras layer mapping a tensor to one of the same shape.
    """
    name = overrides.pop("name", None)
    if not self._use_batch_norm:
      return keras.layers.Identity(name=name)
    kwargs = {"momentum": self._batch_norm_momentum,
              "epsilon": self._batch_norm_epsilon}
    kwargs.update(overrides)
    return freezable_batch_norm.FreezableBatchNorm(
        training=training, name=name, **kwargs)

  def build_activation_layer(self, name: str = "activation"
                             ) -> keras.layers.Layer:
    """The activation as a layer (identity for "none")."""
    activation = _ACTIVATIONS[self._activation]
    if activation is None:
      return keras.layers.Identity(name=name)
    return keras.layers.Activation(activation, name=name)
