"""Rebuilds a functional Keras model with changed layer settings.

`keras.applications` networks have fixed strides, no weight decay and plain
batch normalization. `rebuild` clones such a model layer by layer (fresh,
unloaded weights; same layer names, so name-based weight files still load)
and on the way:

  * replaces BatchNormalization by FreezableBatchNorm pinned to inference
    mode when batch norm is not trained;
  * adds an L2 kernel regularizer to Conv2D / Dense layers;
  * applies per-layer config overrides (strides, dilation_rate, padding),
    which is how output stride 8 (atrous) variants are made;
  * optionally takes every kernel initializer and regularizer, batch norm
    and activation from a layer hyperparameters object instead (the TF OD
    API's `override_base_feature_extractor_hyperparams`).
"""

from typing import Any, Dict, Mapping, Optional

import keras

from object_detection.models import freezable_batch_norm

_KERNEL_LAYERS = (keras.layers.Conv2D, keras.layers.Dense)


class _BatchNormIdentity(keras.layers.Layer):
  """Identity standing in for a batch norm layer (takes its `mask` too)."""

  def __init__(self, **kwargs: Any):
    super().__init__(**kwargs)
    self.supports_masking = True

  def call(self, inputs: Any, mask: Any = None) -> Any:
    del mask  # The cloned graph passes the batch norm's call arguments.
    return inputs


def _layer_from_hyperparams(layer: keras.layers.Layer,
                            config: Dict[str, Any],
                            conv_hyperparams: Any,
                            batch_norm_training: Optional[bool]
                            ) -> Optional[keras.layers.Layer]:
  """The clone of `layer` following conv_hyperparams, or None to keep it.

  Kernel layers keep their config (filters, strides, use_bias, ...) except
  the kernel initializer (when the hyperparams set one) and regularizer;
  batch norm and Activation layers are replaced by the hyperparams' layers
  of the same name (an identity layer where they have no batch norm or no
  activation).
  """
  if isinstance(layer, _KERNEL_LAYERS):
    params = conv_hyperparams.params()
    config["kernel_regularizer"] = params["kernel_regularizer"]
    # params() gives each call a fresh initializer (its own seed).
    initializer = params["kernel_initializer"]
    if initializer is not None:
      config["kernel_initializer"] = initializer
    return layer.__class__.from_config(config)
  if isinstance(layer, keras.layers.BatchNormalization):
    if not conv_hyperparams.use_batch_norm():
      return _BatchNormIdentity(name=layer.name)
    return conv_hyperparams.build_batch_norm(training=batch_norm_training,
                                             name=layer.name)
  if isinstance(layer, keras.layers.Activation):
    return conv_hyperparams.build_activation_layer(name=layer.name)
  return None


def rebuild(model: keras.Model,
            train_batch_norm: bool,
            weight_decay: float,
            config_overrides: Optional[Mapping[str, Mapping[str, Any]]] = None,
            conv_hyperparams: Any = None) -> keras.Model:
  """Clones a functional model with new batch norm, decay and overrides.

  Args:
    model: a functional keras.Model.
    train_batch_norm: if False, batch norm layers are pinned to inference mode.
    weight_decay: >= 0; kernels get L2(0.5 * weight_decay) when > 0. Unused
      when conv_hyperparams is given.
    config_overrides: layer name -> dict of config entries to replace.
    conv_hyperparams: None, or a KerasLayerHyperparams-like object (see
      default_layer_hyperparams) whose kernel initializer and regularizer
      replace those of every Conv2D / Dense layer, and whose batch norm
      (momentum, epsilon, center, scale; identity without batch norm) and
      activation replace every BatchNormalization and Activation layer.

  Returns:
    the rebuilt keras.Model, with freshly initialised weights.

  Raises:
    ValueError: if an override names a layer the model does not have.
  """
  config_overrides = dict(config_overrides or {})
  missing = sorted(set(config_overrides) - {l.name for l in model.layers})
  if missing:
    raise ValueError("rebuild: no layers named {}".format(missing))
  batch_norm_training = None if train_batch_norm else False

  def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    config = layer.get_config()
    config.update(config_overrides.get(layer.name, {}))
    if conv_hyperparams is not None:
      replacement = _layer_from_hyperparams(layer, config, conv_hyperparams,
                                            batch_norm_training)
      if replacement is not None:
        return replacement
    if isinstance(layer, _KERNEL_LAYERS) and weight_decay > 0:
      config["kernel_regularizer"] = keras.regularizers.L2(0.5 * weight_decay)
    if isinstance(layer, keras.layers.BatchNormalization):
      config["training"] = batch_norm_training
      return freezable_batch_norm.FreezableBatchNorm.from_config(config)
    return layer.__class__.from_config(config)

  return keras.models.clone_model(model, clone_function=clone_layer)
