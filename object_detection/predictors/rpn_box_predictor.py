"""RpnBoxPredictor: the region proposal network's head.

On each proposal feature map: a shared conv (`kernel_size`, `depth`
channels, dilation `atrous_rate`) + the conv_hyperparams' batch norm + ReLU6
(the TF OD API's `first_stage_box_predictor_*` conv), then two 1x1 convs:
box encodings (num_anchors_per_location * 4) and objectness logits
(num_anchors_per_location * 2, background first).

With several maps (FPN) the conv and both prediction convs are shared across
levels when every level has the same number of anchors per location (the
usual FPN RPN); otherwise each level gets its own prediction convs.

Anchor order of the outputs: maps in list order; within a map, row-major
over cells, then the anchors of one cell, which is the order of the
package's anchor generators.
"""

from typing import Any, Dict, List, Optional, Sequence, Union

import keras
import tensorflow as tf

from object_detection.predictors import box_predictor
from object_detection.predictors.heads import keras_box_head
from object_detection.predictors.heads import keras_class_head


class RpnBoxPredictor(keras.layers.Layer):
  """Box encodings and objectness for every anchor of the RPN."""

  def __init__(self,
               is_training: bool,
               num_anchors_per_location: Sequence[int],
               conv_hyperparams: Any,
               kernel_size: int = 3,
               depth: int = 512,
               atrous_rate: int = 1,
               freeze_batchnorm: bool = True,
               box_code_size: int = 4,
               name: Optional[str] = None):
    """Creates the head.

    Args:
      is_training: whether the model is built for training.
      num_anchors_per_location: anchors per cell of each feature map, >= 1
        (the anchor generator's num_anchors_per_location()).
      conv_hyperparams: KerasLayerHyperparams-like object
        (first_stage_box_predictor_conv_hyperparams).
      kernel_size: first_stage_box_predictor_kernel_size, >= 1.
      depth: first_stage_box_predictor_depth, >= 1.
      atrous_rate: first_stage_atrous_rate, dilation of the shared conv, >= 1.
      freeze_batchnorm: if True, batch norm (if any) is pinned to inference.
      box_code_size: size of one box encoding.
      name: layer name.

    Raises:
      ValueError: for an empty num_anchors_per_location or non-positive
        sizes.
    """
    super().__init__(name=name)
    num_anchors_per_location = [int(n) for n in num_anchors_per_location]
    if not num_anchors_per_location or min(num_anchors_per_location) < 1:
      raise ValueError(
          "RpnBoxPredictor: num_anchors_per_location must be a non-empty list "
          "of ints >= 1, got {}".format(num_anchors_per_location))
    if min(kernel_size, depth, atrous_rate) < 1:
      raise ValueError(
          "RpnBoxPredictor: kernel_size, depth and atrous_rate must be >= 1, "
          "got {}, {}, {}".format(kernel_size, depth, atrous_rate))
    self._num_anchors_per_location = num_anchors_per_location
    self._conv = keras.layers.Conv2D(
        depth, kernel_size, padding="same", dilation_rate=atrous_rate,
        name="RPNConv", **conv_hyperparams.params())
    self._batch_norm = conv_hyperparams.build_batch_norm(
        training=(is_training and not freeze_batchnorm), name="RPNBatchNorm")
    self._activation = keras.layers.ReLU(max_value=6.0, name="RPNActivation")
    shared = len(set(num_anchors_per_location)) == 1
    num_heads = 1 if shared else len(num_anchors_per_location)
    self._num_heads = num_heads
    # One attribute per head: tf.train.Checkpoint does not track layers
    # inside lists of Keras 3 layers.
    for i in range(num_heads):
      setattr(self, "_box_head_{}".format(i),
              keras_box_head.ConvolutionalBoxHead(
                  is_training, box_code_size, 1, num_anchors_per_location[i],
                  conv_hyperparams, freeze_batchnorm,
                  name="BoxEncodingPredictor_{}".format(i)))
      setattr(self, "_objectness_head_{}".format(i),
              keras_class_head.ConvolutionalClassHead(
                  is_training, 2, 1, num_anchors_per_location[i],
                  conv_hyperparams, freeze_batchnorm,
                  name="ObjectnessPredictor_{}".format(i)))

  def build(self, input_shape: Any) -> None:
    """Sub-layers are built on the first call."""
    super().build(input_shape)

  def call(self, feature_maps: Union[tf.Tensor, Sequence[tf.Tensor]],
           training: Optional[bool] = None
           ) -> Dict[str, Union[tf.Tensor, List[tf.Tensor]]]:
    """Predicts box encodings and objectness for all anchors.

    Args:
      feature_maps: float32 [batch, h_i, w_i, channels] tensor, or a list of
        them (one per anchor generator feature map).
      training: Keras training flag (batch norm).

    Returns:
      dict with
        BOX_ENCODINGS: float32 [batch, num_anchors, box_code_size];
        CLASS_PREDICTIONS_WITH_BACKGROUND: float32 [batch, num_anchors, 2]
          logits (background, object);
        RPN_BOX_PREDICTOR_FEATURES: list of float32 [batch, h_i, w_i, depth];
      num_anchors = sum_i h_i * w_i * num_anchors_per_location[i].

    Raises:
      ValueError: if the number of maps differs from
        len(num_anchors_per_location).
    """
    if isinstance(feature_maps, (tf.Tensor, keras.KerasTensor)):
      feature_maps = [feature_maps]
    if len(feature_maps) != len(self._num_anchors_per_location):
      raise ValueError(
          "RpnBoxPredictor: got {} feature maps for {} anchor layouts".format(
              len(feature_maps), len(self._num_anchors_per_location)))
    features, box_encodings, objectness = [], [], []
    for index, feature_map in enumerate(feature_maps):
      net = self._conv(feature_map)
      net = self._batch_norm(net, training=training)
      net = self._activation(net)
      features.append(net)
      head = index if self._num_heads > 1 else 0
      box_head = getattr(self, "_box_head_{}".format(head))
      objectness_head = getattr(self, "_objectness_head_{}".format(head))
      box_encodings.append(box_head(net)[:, :, 0, :])
      objectness.append(objectness_head(net))
    return {
        box_predictor.BOX_ENCODINGS: tf.concat(box_encodings, axis=1),
        box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND:
            tf.concat(objectness, axis=1),
        box_predictor.RPN_BOX_PREDICTOR_FEATURES: features,
    }
