"""Rebuilds a functional Keras model with changed layer settings.

`keras.applications` networks have fixed strides, no weight decay and plain
batch normalization. `rebuild` clones such a model layer by layer (fresh,
unloaded weights; same layer names, so name-based weight files still load)
and on the way:

  * replaces BatchNormalization by FreezableBatchNorm pinned to inference
    mode when batch norm is not trained;
  * adds an L2 kernel regularizer to Conv2D / Dense layers;
  * applies per-layer config overrides (strides, dilation_rate, padding),
    which is how output stride 8 (atrous) variants are made.
"""

from typing import Any, Mapping, Optional

import keras

from object_detection.models import freezable_batch_norm

_KERNEL_LAYERS = (keras.layers.Conv2D, keras.layers.Dense)


def rebuild(model: keras.Model,
            train_batch_norm: bool,
            weight_decay: float,
            config_overrides: Optional[Mapping[str, Mapping[str, Any]]] = None
            ) -> keras.Model:
  """Clones a functional model with new batch norm, decay and overrides.

  Args:
    model: a functional keras.Model.
    train_batch_norm: if False, batch norm layers are pinned to inference mode.
    weight_decay: >= 0; kernels get L2(0.5 * weight_decay) when > 0.
    config_overrides: layer name -> dict of config entries to replace.

  Returns:
    the rebuilt keras.Model, with freshly initialised weights.

  Raises:
    ValueError: if an override names a layer the model does not have.
  """
  config_overrides = dict(config_overrides or {})
  missing = sorted(set(config_overrides) - {l.name for l in model.layers})
  if missing:
    raise ValueError("rebuild: no layers named {}".format(missing))

  def clone_layer(layer: keras.layers.Layer) -> keras.layers.Layer:
    config = layer.get_config()
    config.update(config_overrides.get(layer.name, {}))
    if isinstance(layer, _KERNEL_LAYERS) and weight_decay > 0:
      config["kernel_regularizer"] = keras.regularizers.L2(0.5 * weight_decay)
    if isinstance(layer, keras.layers.BatchNormalization):
      config["training"] = None if train_batch_norm else False
      return freezable_batch_norm.FreezableBatchNorm.from_config(config)
    return layer.__class__.from_config(config)

  return keras.models.clone_model(model, clone_function=clone_layer)
