"""FreezableBatchNorm: a Keras BatchNormalization whose mode can be pinned.

Detection models train with small batches (often 1 image), where batch
statistics are too noisy; the TF OD API then keeps the backbone's batch
normalization in inference mode ("frozen statistics") while its scale and
offset stay trainable. Keras 3 ties inference mode to `trainable=False`, which
also freezes scale and offset, so this layer pins the mode instead.
"""

from typing import Any, Dict, Optional

import keras
import tensorflow as tf


class FreezableBatchNorm(keras.layers.BatchNormalization):
  """BatchNormalization that can be pinned to inference mode.

  With `training=False` the layer always normalises with its moving mean and
  variance and never updates them, whatever `training` the caller passes;
  gamma and beta remain trainable variables. With `training=True` or None it
  is a plain BatchNormalization following the caller's `training` (the TF OD
  API's FreezableBatchNorm semantics).
  """

  def __init__(self, training: Optional[bool] = None, **kwargs: Any):
    """Creates the layer.

    Args:
      training: False pins inference mode; True or None follow the caller.
      **kwargs: keyword arguments of keras.layers.BatchNormalization.
    """
    super().__init__(**kwargs)
    self._pinned_training = training

  def call(self, inputs: tf.Tensor, training: Optional[bool] = None,
           mask: Optional[tf.Tensor] = None) -> tf.Tensor:
    """Normalises `inputs` (any float tensor, channels on `axis`)."""
    if self._pinned_training is False:
      training = False
    return super().call(inputs, training=training, mask=mask)

  def get_config(self) -> Dict[str, Any]:
    config = super().get_config()
    config["training"] = self._pinned_training
    return config
