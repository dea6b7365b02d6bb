"""A small, fast FPN feature extractor for CPU training and tests.

`faster_rcnn_small_fpn_keras` exists so that a complete Mask R-CNN can be
trained from scratch on a plain CPU in minutes: the shipped shapes demo
(`pipelines/mask_rcnn_shapes.config`, 64..128 px images of squares, circles
and triangles) and the end-to-end tests. It is not meant for real photos.

Network (every conv 3x3 + batch norm + ReLU, 'same' padding):

  stem     stride 2   backbone_depths[0] channels (16)
  C2       stride 4   2 convs of backbone_depths[1] (32), first one strided
  C3       stride 8   2 convs of backbone_depths[2] (64)
  C4       stride 16  2 convs of backbone_depths[3] (96)
  C5       stride 32  2 convs of backbone_depths[4] (128)

then the package's FPN (fpn_feature_maps) of `additional_layer_depth` (64)
channels on levels fpn_min_level .. fpn_max_level (2 .. 6 by default; levels
above 5 from stride-2 convs). Box classifier: two fully connected ReLU layers
of `box_classifier_fc_units` (256) on the flattened ROI crops, output
[num_rois, 1, 1, 256].

Cost: about 0.1 G multiply-adds for a 128x128 image, half backbone, half
FPN (ResNet-50 FPN at 512x512: about 35 G). Measured on the project's 2-core
CPU (shared, so noisy): forward + backward + SGD update of the proposal model
at 128x128 takes about 17 ms for batch 1 and 40 ms for batch 4.

Preprocessing maps [0, 255] to [-1, 1]. The backbone is the
`classification_backbone` (there is no pretrained checkpoint; it trains from
scratch).
"""

from typing import Any, Dict, Sequence, Tuple

import keras
import tensorflow as tf

from object_detection.models import faster_rcnn_fpn_keras_feature_extractor as fpn_base
from object_detection.models import freezable_batch_norm


def build_small_backbone(depths: Sequence[int], train_batch_norm: bool,
                         weight_decay: float,
                         conv_hyperparams: Any = None) -> keras.Model:
  """The small conv backbone.

  Args:
    depths: 5 channel counts: stem, C2, C3, C4, C5.
    train_batch_norm: whether batch norm uses batch statistics in training.
    weight_decay: >= 0 L2 decay of the kernels (without conv_hyperparams).
    conv_hyperparams: None for conv + batch norm + ReLU with He
      initialisation, or a KerasLayerHyperparams-like object whose
      initializer, regularizer, batch norm and activation replace those.

  Returns:
    keras.Model float32 [batch, H, W, 3] -> [C2, C3, C4, C5], level l of
    shape [batch, ceil(H / 2**l), ceil(W / 2**l), depths[l - 1]].
  """
  regularizer = (keras.regularizers.L2(0.5 * weight_decay)
                 if weight_decay > 0 else None)

  def conv_bn_relu(net: Any, depth: int, strides: int, name: str) -> Any:
    if conv_hyperparams is not None:
      net = keras.layers.Conv2D(depth, 3, strides=strides, padding="same",
                                name=name + "_conv",
                                **conv_hyperparams.params())(net)
      net = conv_hyperparams.build_batch_norm(
          training=train_batch_norm, name=name + "_bn")(net)
      return conv_hyperparams.build_activation_layer(name=name + "_relu")(net)
    net = keras.layers.Conv2D(
        depth, 3, strides=strides, padding="same", use_bias=False,
        kernel_initializer="he_normal", kernel_regularizer=regularizer,
        name=name + "_conv")(net)
    net = freezable_batch_norm.FreezableBatchNorm(
        training=None if train_batch_norm else False, name=name + "_bn")(net)
    return keras.layers.ReLU(name=name + "_relu")(net)

  images = keras.Input((None, None, 3), name="images")
  net = conv_bn_relu(images, depths[0], 2, "stem")
  outputs = []
  for level, depth in zip(range(2, 6), depths[1:]):
    net = conv_bn_relu(net, depth, 2, "c{}_1".format(level))
    net = conv_bn_relu(net, depth, 1, "c{}_2".format(level))
    outputs.append(net)
  return keras.Model(images, outputs, name="small_backbone")


class FasterRCNNSmallFpnKerasFeatureExtractor(
    fpn_base.FasterRCNNFpnKerasFeatureExtractor):
  """Small conv backbone + FPN; see the module docstring."""

  def __init__(self,
               is_training: bool,
               first_stage_features_stride: int = 16,
               conv_hyperparams: Any = None,
               batch_norm_trainable: bool = False,
               weight_decay: float = 0.0,
               fpn_min_level: int = 2,
               fpn_max_level: int = 6,
               additional_layer_depth: int = 64,
               override_base_feature_extractor_hyperparams: bool = False,
               backbone_depths: Sequence[int] = (16, 32, 64, 96, 128),
               box_classifier_fc_units: int = 256):
    """Creates the extractor; networks are built on first use.

    Args:
      is_training, first_stage_features_stride, conv_hyperparams,
        batch_norm_trainable, weight_decay, fpn_min_level, fpn_max_level,
        additional_layer_depth: see FasterRCNNFpnKerasFeatureExtractor.
      override_base_feature_extractor_hyperparams: if True (and
        conv_hyperparams is given), the backbone convs also use
        conv_hyperparams (initializer, regularizer, batch norm, activation).
      backbone_depths: 5 positive channel counts (stem, C2 .. C5).
      box_classifier_fc_units: see FasterRCNNFpnKerasFeatureExtractor.

    Raises:
      ValueError: for invalid levels, stride or sizes.
    """
    backbone_depths = tuple(backbone_depths)
    if len(backbone_depths) != 5 or min(backbone_depths) < 1:
      raise ValueError(
          "backbone_depths must be 5 positive ints, got {}".format(
              backbone_depths))
    if additional_layer_depth < 1 or box_classifier_fc_units < 1:
      raise ValueError(
          "additional_layer_depth and box_classifier_fc_units must be >= 1, "
          "got {} and {}".format(additional_layer_depth,
                                 box_classifier_fc_units))
    super().__init__(is_training, first_stage_features_stride,
                     conv_hyperparams, batch_norm_trainable, weight_decay,
                     fpn_min_level, fpn_max_level, additional_layer_depth,
                     box_classifier_fc_units)
    self._override_backbone_hyperparams = (
        override_base_feature_extractor_hyperparams
        and conv_hyperparams is not None)
    self._backbone_depths = backbone_depths

  def preprocess(self, resized_inputs: tf.Tensor) -> tf.Tensor:
    """Maps float32 [batch, H, W, C] in [0, 255] to [-1, 1]."""
    return (2.0 / 255.0) * resized_inputs - 1.0

  def _build_backbone(self) -> Tuple[keras.Model, Dict[int, Any]]:
    backbone = build_small_backbone(
        self._backbone_depths, self._train_batch_norm, self._weight_decay,
        self._conv_hyperparams if self._override_backbone_hyperparams
        else None)
    return backbone, dict(zip(range(2, 6), backbone.outputs))
