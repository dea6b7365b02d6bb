"""Box encoding heads.

MaskRCNNBoxHead: the second-stage (Fast R-CNN) box regressor on ROI features.
ConvolutionalBoxHead: a per-location box regressor on a feature map (RPN).
"""

from typing import Any, Optional

import keras
import tensorflow as tf

from object_detection.predictors.heads import keras_roi_dense_predictor


class MaskRCNNBoxHead(keras.layers.Layer):
  """Predicts box encodings for each ROI from its pooled features.

  Spatial mean of the ROI features, then keras_roi_dense_predictor's layers
  with num_boxes * box_code_size outputs.
  """

  def __init__(self,
               is_training: bool,
               num_classes: int,
               fc_hyperparams: Any,
               freeze_batchnorm: bool,
               use_dropout: bool,
               dropout_keep_prob: float,
               box_code_size: int,
               share_box_across_classes: bool = False,
               name: Optional[str] = None):
    """Creates the head.

    Args:
      is_training: whether the model is built for training.
      num_classes: number of object classes, without background.
      fc_hyperparams: KerasLayerHyperparams-like object for the dense layer.
      freeze_batchnorm: if True, batch norm (if any) is pinned to inference.
      use_dropout: whether to apply dropout before the dense layer.
      dropout_keep_prob: keep probability of the dropout, in (0, 1].
      box_code_size: size of one box encoding (4 for faster_rcnn coders).
      share_box_across_classes: predict one box for all classes.
      name: layer name.
    """
    super().__init__(name=name)
    self._num_boxes = 1 if share_box_across_classes else num_classes
    self._box_code_size = box_code_size
    self._box_encoder = keras_roi_dense_predictor.build_roi_dense_predictor(
        self._num_boxes * box_code_size, fc_hyperparams, use_dropout,
        dropout_keep_prob, is_training and not freeze_batchnorm,
        layer_prefix="BoxEncodingPredictor", name="BoxEncoder")

  def build(self, input_shape: Any) -> None:
    """Creates the dense layers for ROI features [num_rois, h, w, channels].

    An explicit build keeps variable creation out of Keras' build-by-
    tracing (a symbolic call in a stateless scope), which loses the
    values a checkpoint restores into a model not called yet.
    """
    self._box_encoder.build((input_shape[0], 1, 1, input_shape[-1]))
    super().build(input_shape)

  def call(self, features: tf.Tensor, training: Optional[bool] = None
           ) -> tf.Tensor:
    """Predicts box encodings.

    Args:
      features: float32 [num_rois, height, width, channels] ROI features.
      training: Keras training flag (dropout, batch norm).

    Returns:
      float32 [num_rois, 1, num_boxes, box_code_size]; num_boxes is
      num_classes, or 1 with share_box_across_classes.
    """
    net = tf.reduce_mean(features, axis=[1, 2], keepdims=True)
    net = self._box_encoder(net, training=training)
    return tf.reshape(net, [-1, 1, self._num_boxes, self._box_code_size])


class ConvolutionalBoxHead(keras.layers.Layer):
  """Predicts box encodings at every location of a feature map."""

  def __init__(self,
               is_training: bool,
               box_code_size: int,
               kernel_size: int,
               num_predictions_per_location: int,
               conv_hyperparams: Any,
               freeze_batchnorm: bool,
               name: Optional[str] = None):
    """Creates the head.

    Args:
      is_training: unused; kept for the TF OD API signature.
      box_code_size: size of one box encoding.
      kernel_size: size of the prediction convolution.
      num_predictions_per_location: anchors per feature map cell.
      conv_hyperparams: KerasLayerHyperparams-like object.
      freeze_batchnorm: unused (the prediction conv has no batch norm).
      name: layer name.
    """
    super().__init__(name=name)
    del is_training, freeze_batchnorm
    self._box_code_size = box_code_size
    self._conv = keras.layers.Conv2D(
        num_predictions_per_location * box_code_size, kernel_size,
        padding="same", name="BoxEncodingPredictor",
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
    """Predicts box encodings.

    Args:
      features: float32 [batch, height, width, channels].

    Returns:
      float32 [batch, height * width * num_predictions_per_location, 1,
      box_code_size], row-major over cells, then anchors of a cell.
    """
    encodings = self._conv(features)
    batch = tf.shape(features)[0]
    return tf.reshape(encodings, [batch, -1, 1, self._box_code_size])
