"""MaskRCNNMaskHead: per-ROI instance mask logits (Mask R-CNN third stage).

Two layouts, chosen by `convolve_then_upsample`:

  * False (the TF OD API default): the ROI features are bilinearly resized
    (corner-aligned) to [mask_height, mask_width]; then
    mask_prediction_num_conv_layers - 1 conv3x3 blocks of
    `mask_prediction_conv_depth` channels and a final conv3x3 to num_masks
    channels, all at mask resolution.
  * True: mask_prediction_num_conv_layers - 1 conv3x3 blocks at the ROI
    feature resolution [h, w]; one transposed convolution (kernel = stride
    = mask_height / h, mask_width / w) of `mask_prediction_conv_depth`
    channels that upsamples to [mask_height, mask_width]; a final conv1x1 to
    num_masks channels. This is the Mask R-CNN paper's head (e.g. 14x14
    features -> 28x28 masks). The TF OD API instead upsamples by
    nearest-neighbour resizing followed by a conv3x3, and ends with a
    conv3x3; the learned 2x2 upsampling and the 1x1 predictor do the same
    job with about 9x fewer multiply-adds at mask resolution.

A conv block is Conv2D + the conv_hyperparams' batch norm (if any) + its
activation. `mask_prediction_conv_depth` 0 picks a depth from the feature
channels and the number of classes, as the TF OD API does:
2 ** round((2 * log2(channels) + 3 * log2(num_classes)) / 5).
"""

import math
from typing import Any, List, Optional

import keras
import tensorflow as tf


def mask_predictor_conv_depth(num_feature_channels: int,
                              num_classes: int) -> int:
  """The automatic conv depth (mask_prediction_conv_depth 0).

  A weighted mean, in log2 space, of the feature channels (weight 2) and the
  number of classes (weight 3), rounded to a power of two.

  Args:
    num_feature_channels: channels of the ROI features, >= 1.
    num_classes: number of classes, >= 1.

  Returns:
    the depth, a power of two. E.g. 1024 channels and 90 classes:
    2 ** round((2 * 10 + 3 * 6.49) / 5) = 2 ** 8 = 256.
  """
  log_depth = (2.0 * math.log2(num_feature_channels)
               + 3.0 * math.log2(num_classes)) / 5.0
  return int(2 ** round(log_depth))


class MaskRCNNMaskHead(keras.layers.Layer):
  """Predicts mask logits for each ROI; see the module docstring."""

  def __init__(self,
               is_training: bool,
               num_classes: int,
               freeze_batchnorm: bool,
               conv_hyperparams: Any,
               mask_height: int = 14,
               mask_width: int = 14,
               mask_prediction_num_conv_layers: int = 2,
               mask_prediction_conv_depth: int = 256,
               masks_are_class_agnostic: bool = False,
               convolve_then_upsample: bool = False,
               name: Optional[str] = None):
    """Creates the head; its layers are built on the first call.

    Args:
      is_training: whether the model is built for training.
      num_classes: number of object classes, without background.
      freeze_batchnorm: if True, batch norm (if any) is pinned to inference.
      conv_hyperparams: KerasLayerHyperparams-like object for the convs.
      mask_height: output mask height, >= 1.
      mask_width: output mask width, >= 1.
      mask_prediction_num_conv_layers: >= 1; see the module docstring.
      mask_prediction_conv_depth: channels of the convs; 0 = automatic.
      masks_are_class_agnostic: predict one mask per ROI instead of one per
        class.
      convolve_then_upsample: see the module docstring.
      name: layer name.

    Raises:
      ValueError: for non-positive sizes or layer counts, or a negative depth.
    """
    super().__init__(name=name)
    if mask_height < 1 or mask_width < 1:
      raise ValueError("mask_height and mask_width must be >= 1, got {}x{}"
                       .format(mask_height, mask_width))
    if mask_prediction_num_conv_layers < 1:
      raise ValueError("mask_prediction_num_conv_layers must be >= 1, got {}"
                       .format(mask_prediction_num_conv_layers))
    if mask_prediction_conv_depth < 0:
      raise ValueError("mask_prediction_conv_depth must be >= 0, got {}"
                       .format(mask_prediction_conv_depth))
    self._batch_norm_training = is_training and not freeze_batchnorm
    self._num_classes = num_classes
    self._conv_hyperparams = conv_hyperparams
    self._mask_height = mask_height
    self._mask_width = mask_width
    self._num_conv_layers = mask_prediction_num_conv_layers
    self._conv_depth = mask_prediction_conv_depth
    self._num_masks = 1 if masks_are_class_agnostic else num_classes
    self._convolve_then_upsample = convolve_then_upsample
    self._mask_predictor = None

  def _conv_block(self, layer: keras.layers.Layer,
                  suffix: str) -> List[keras.layers.Layer]:
    return [layer,
            self._conv_hyperparams.build_batch_norm(
                training=self._batch_norm_training,
                name="MaskPredictor_batchnorm_" + suffix),
            self._conv_hyperparams.build_activation_layer(
                name="MaskPredictor_activation_" + suffix)]

  def build(self, input_shape: Any) -> None:
    """Creates the layers for ROI features [num_rois, h, w, channels].

    Raises:
      ValueError: with convolve_then_upsample, if h or w is unknown or does
        not divide mask_height or mask_width.
    """
    _, height, width, channels = input_shape
    depth = self._conv_depth or mask_predictor_conv_depth(
        channels, self._num_classes)
    params = self._conv_hyperparams.params
    layers = []
    for index in range(self._num_conv_layers - 1):
      layers += self._conv_block(keras.layers.Conv2D(
          depth, 3, padding="same", name="MaskPredictor_conv2d_{}".format(
              index), **params()), str(index))
    if self._convolve_then_upsample:
      if (not height or not width or self._mask_height % height
          or self._mask_width % width):
        raise ValueError(
            "MaskRCNNMaskHead: with convolve_then_upsample the ROI feature "
            "size ({}x{}) must divide the mask size ({}x{})".format(
                height, width, self._mask_height, self._mask_width))
      scale = (self._mask_height // height, self._mask_width // width)
      layers += self._conv_block(keras.layers.Conv2DTranspose(
          depth, scale, strides=scale, name="MaskPredictor_upsample",
          **params()), "upsample")
      last_kernel = 1
    else:
      last_kernel = 3
    layers.append(keras.layers.Conv2D(
        self._num_masks, last_kernel, padding="same",
        name="MaskPredictor_last_conv2d", **params(use_bias=True)))
    # A Sequential attribute (not a list) so tf.train.Checkpoint tracks it.
    self._mask_predictor = keras.Sequential(layers, name="MaskPredictor")
    super().build(input_shape)

  def call(self, features: tf.Tensor, training: Optional[bool] = None
           ) -> tf.Tensor:
    """Predicts mask logits.

    Args:
      features: float32 [num_rois, h, w, channels] ROI features.
      training: Keras training flag (batch norm).

    Returns:
      float32 [num_rois, 1, num_masks, mask_height, mask_width] logits;
      num_masks is num_classes, or 1 if masks are class agnostic.
    """
    net = features
    if not self._convolve_then_upsample:
      net = tf.raw_ops.ResizeBilinear(
          images=net, size=[self._mask_height, self._mask_width],
          align_corners=True, half_pixel_centers=False)
    net = self._mask_predictor(net, training=training)
    # [N, mh, mw, K] -> [N, 1, K, mh, mw]
    return tf.transpose(net, [0, 3, 1, 2])[:, tf.newaxis]
