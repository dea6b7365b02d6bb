"""Class prediction heads.

MaskRCNNClassHead: the second-stage classifier on ROI features.
ConvolutionalClassHead: a per-location classifier on a feature map (RPN
objectness).
"""

from typing import Any, Optional

import keras
import tensorflow as tf

from object_detection.predictors.heads import keras_roi_dense_predictor


class MaskRCNNClassHead(keras.layers.Layer):
  """Predicts class logits (with background) for each ROI.

  Spatial mean of the ROI features, then keras_roi_dense_predictor's layers
  with num_class_slots outputs.
  """

  def __init__(self,
               is_training: bool,
               num_class_slots: int,
               fc_hyperparams: Any,
               freeze_batchnorm: bool,
               use_dropout: bool,
               dropout_keep_prob: float,
               name: Optional[str] = None):
    """Creates the head.

    Args:
      is_training: whether the model is built for training.
      num_class_slots: number of outputs, num_classes + 1 with background.
      fc_hyperparams: KerasLayerHyperparams-like object for the dense layer.
      freeze_batchnorm: if True, batch norm (if any) is pinned to inference.
      use_dropout: whether to apply dropout before the dense layer.
      dropout_keep_prob: keep probability of the dropout, in (0, 1].
      name: layer name.
    """
    super().__init__(name=name)
    self._num_class_slots = num_class_slots
    self._class_predictor = (
        keras_roi_dense_predictor.build_roi_dense_predictor(
            num_class_slots, fc_hyperparams, use_dropout, dropout_keep_prob,
            is_training and not freeze_batchnorm,
            layer_prefix="ClassPredictor", name="ClassPredictor"))

  def build(self, input_shape: Any) -> None:
    """Creates the dense layers for ROI features [num_rois, h, w, channels].

    An explicit build keeps variable creation out of Keras' build-by-
    tracing (a symbolic call in a stateless scope), which loses the
    values a checkpoint restores into a model not called yet.
    """
    self._class_predictor.build((input_shape[0], 1, 1, input_shape[-1]))
    super().build(input_shape)

  def call(self, features: tf.Tensor, training: Optional[bool] = None
           ) -> tf.Tensor:
    """Predicts class logits.

    Args:
      features: float32 [num_rois, height, width, channels] ROI features.
      training: Keras training flag (dropout, batch norm).

    Returns:
      float32 [num_rois, 1, num_class_slots] logits, background first.
    """
    net = tf.reduce_mean(features, axis=[1, 2], keepdims=True)
    net = self._class_predictor(net, training=training)
    return tf.reshape(net, [-1, 1, self._num_class_slots])


class ConvolutionalClassHead(keras.layers.Layer):
  """Predicts class logits at every location of a feature map."""

  def __init__(self,
               is_training: bool,
               num_class_slots: int,
               kernel_size: int,
               num_predictions_per_location: int,
               conv_hyperparams: Any,
               freeze_batchnorm: bool,
               class_prediction_bias_init: float = 0.0,
               name: Optional[str] = None):
    """Creates the head.

    Args:
      is_training: unused; kept for the TF OD API signature.
      num_class_slots: classes per anchor including background (2 for RPN).
      kernel_size: size of the prediction convolution.
      num_predictions_per_location: anchors per feature map cell.
      conv_hyperparams: KerasLayerHyperparams-like object.
      freeze_batchnorm: unused (the prediction conv has no batch norm).
      class_prediction_bias_init: initial value of the biases.
      name: layer name.
    """
    super().__init__(name=name)
    del is_training, freeze_batchnorm
    self._num_class_slots = num_class_slots
    self._conv = keras.layers.Conv2D(
        num_predictions_per_location * num_class_slots, kernel_size,
        padding="same", name="ClassPredictor",
        bias_initializer=keras.initializers.Constant(
            class_prediction_bias_init),
        **conv_hyperparams.params(use_bias=True))

  def build(self, input_shape: Any) -> None:
    """Creates the conv for features [batch, height, width, channels].

    An explicit build keeps variable creation out of Keras' build-by-
    tracing (a symbolic call in a stateless scope), which loses the
    values a checkpoint restores into a model not called yet.
    """
    self._conv.build(input_shape)
    super().build(input_shape)

  def call(self, features: tf.Tensor) -> tf.Tensor:
    """Predicts class logits.

    Args:
      features: float32 [batch, height, width, channels].

    Returns:
      float32 [batch, height * width * num_predictions_per_location,
      num_class_slots], row-major over cells, then anchors of a cell.
    """
    logits = self._conv(features)
    batch = tf.shape(features)[0]
    return tf.reshape(logits, [batch, -1, self._num_class_slots])
