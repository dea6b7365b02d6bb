"""The dense prediction layers shared by the Mask R-CNN box and class heads.

On spatially averaged ROI features: flatten, optional dropout, one dense
layer, then the fc_hyperparams' batch norm (identity when it has none), as
in the TF OD API.
"""

from typing import Any

import keras


def build_roi_dense_predictor(num_outputs: int,
                              fc_hyperparams: Any,
                              use_dropout: bool,
                              dropout_keep_prob: float,
                              batch_norm_training: bool,
                              layer_prefix: str,
                              name: str) -> keras.Sequential:
  """Builds flatten, (dropout), dense and batch norm as one Sequential.

  The head keeps the result in ONE attribute (not a list), so that
  tf.train.Checkpoint tracks its weights.

  Args:
    num_outputs: units of the dense layer.
    fc_hyperparams: KerasLayerHyperparams-like object for the dense layer.
    use_dropout: whether to apply dropout before the dense layer.
    dropout_keep_prob: keep probability of the dropout, in (0, 1].
    batch_norm_training: the batch norm's training setting (False pins it
      to inference).
    layer_prefix: the dense layer is named layer_prefix + "_dense", the
      batch norm layer_prefix + "_batchnorm".
    name: name of the Sequential.

  Returns:
    keras.Sequential float32 [num_rois, 1, 1, channels] ->
    [num_rois, num_outputs], built on its first call.
  """
  layers = [keras.layers.Flatten()]
  if use_dropout:
    layers.append(keras.layers.Dropout(rate=1.0 - dropout_keep_prob))
  layers.append(keras.layers.Dense(
      num_outputs, name=layer_prefix + "_dense",
      **fc_hyperparams.params(use_bias=True)))
  layers.append(fc_hyperparams.build_batch_norm(
      training=batch_norm_training, name=layer_prefix + "_batchnorm"))
  return keras.Sequential(layers, name=name)
