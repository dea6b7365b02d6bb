"""Faster R-CNN feature extractors on Keras ResNet v1 50 / 101 / 152.

The backbone is `keras.applications.ResNet{50,101,152}` built with
`weights=None` (nothing is downloaded) and rebuilt with frozen or trainable
batch norm and weight decay (see keras_model_surgery). As in the TF OD API:

  * proposal features: the output of the last conv4 block
    (`conv4_block{6,23,36}_out`), float32 [batch, ceil(H / 16), ceil(W / 16),
    1024] at first_stage_features_stride 16;
  * first_stage_features_stride 8 (the "atrous" configs): the conv4 stage
    keeps stride 1 and its 3x3 convolutions use dilation 2 (the slim ResNet
    `output_stride=8` behaviour), giving [batch, ceil(H / 8), ceil(W / 8),
    1024];
  * box classifier: the conv5 stage applied to ROI crops,
    [num_rois, h, w, 1024] -> [num_rois, ceil(h / 2), ceil(w / 2), 2048].

Preprocessing subtracts the VGG channel means (RGB order) from [0, 255]
images.
"""

from typing import Any, Tuple

import keras
import tensorflow as tf

from object_detection.models import faster_rcnn_single_level_keras_feature_extractor as single_level
from object_detection.models import keras_model_surgery

# RGB channel means of ImageNet in [0, 255].
_CHANNEL_MEANS = (123.68, 116.779, 103.939)

# name -> (keras.applications constructor, number of conv4 blocks).
_RESNETS = {
    "resnet_v1_50": (keras.applications.ResNet50, 6),
    "resnet_v1_101": (keras.applications.ResNet101, 23),
    "resnet_v1_152": (keras.applications.ResNet152, 36),
}

# Number of conv3 blocks of each network (ResNet-152 has 8).
_NUM_CONV3_BLOCKS = {"resnet_v1_50": 4, "resnet_v1_101": 4,
                     "resnet_v1_152": 8}


def vgg_mean_subtraction(resized_inputs: tf.Tensor) -> tf.Tensor:
  """Subtracts the RGB channel means; other channel counts pass unchanged.

  Args:
    resized_inputs: float32 [batch, height, width, channels] in [0, 255].

  Returns:
    float32 [batch, height, width, channels].
  """
  if resized_inputs.shape[-1] == 3:
    return resized_inputs - tf.constant(_CHANNEL_MEANS, tf.float32)
  return resized_inputs


def build_resnet_backbone(resnet_name: str,
                          train_batch_norm: bool,
                          weight_decay: float,
                          output_stride: int = 32,
                          conv_hyperparams: Any = None) -> keras.Model:
  """Builds an unloaded Keras ResNet v1 without its classification top.

  Args:
    resnet_name: one of "resnet_v1_50", "resnet_v1_101", "resnet_v1_152".
    train_batch_norm: whether batch norm uses batch statistics in training.
    weight_decay: >= 0 L2 weight decay of the kernels (unused with
      conv_hyperparams).
    output_stride: 32 (the standard network) or 8, where the conv4 stage has
      stride 1 and dilation 2 (conv5 is unchanged: it runs on ROI crops).
    conv_hyperparams: None for the settings above, or a
      KerasLayerHyperparams-like object whose kernel initializer and
      regularizer, batch norm and activation replace the network's (see
      keras_model_surgery.rebuild); convolutions keep their biases.

  Returns:
    keras.Model float32 [batch, H, W, 3] -> [batch, H/32, W/32, 2048], whose
    layers keep the keras.applications names (conv4_block6_out, ...).

  Raises:
    ValueError: for an unknown name or output stride.
  """
  if resnet_name not in _RESNETS:
    raise ValueError("unknown ResNet {!r}; supported: {}".format(
        resnet_name, sorted(_RESNETS)))
  if output_stride not in (8, 32):
    raise ValueError("output_stride must be 8 or 32, got {}".format(
        output_stride))
  constructor, num_conv4_blocks = _RESNETS[resnet_name]
  model = constructor(include_top=False, weights=None,
                      input_shape=(None, None, 3))
  overrides = {}
  if output_stride == 8:
    # Keras ResNet v1 strides in the 1x1 conv and shortcut of block 1.
    overrides["conv4_block1_0_conv"] = {"strides": (1, 1)}
    overrides["conv4_block1_1_conv"] = {"strides": (1, 1)}
    for block in range(1, num_conv4_blocks + 1):
      overrides["conv4_block{}_2_conv".format(block)] = {
          "dilation_rate": (2, 2)}
  return keras_model_surgery.rebuild(model, train_batch_norm, weight_decay,
                                     overrides, conv_hyperparams)


def resnet_output_layer_names(resnet_name: str) -> Tuple[str, str, str, str]:
  """Names of the last layers of conv2 .. conv5 (strides 4, 8, 16, 32)."""
  num_conv4_blocks = _RESNETS[resnet_name][1]
  return ("conv2_block3_out",
          "conv3_block{}_out".format(_NUM_CONV3_BLOCKS[resnet_name]),
          "conv4_block{}_out".format(num_conv4_blocks),
          "conv5_block3_out")


class FasterRCNNResnetKerasFeatureExtractor(
    single_level.FasterRCNNSingleLevelKerasFeatureExtractor):
  """Faster R-CNN on a Keras ResNet v1, split between conv4 and conv5.

  Proposal model: images [batch, H, W, 3] -> conv4 features
  [batch, ceil(H / s), ceil(W / s), 1024], s = first_stage_features_stride.
  Box classifier: ROI crops [N, h, w, 1024] -> conv5 features
  [N, ceil(h / 2), ceil(w / 2), 2048]. Constructor arguments: see
  FasterRCNNSingleLevelKerasFeatureExtractor.

  Subclasses set RESNET_NAME to "resnet_v1_50", "resnet_v1_101" or
  "resnet_v1_152".
  """

  RESNET_NAME = ""

  def preprocess(self, resized_inputs: tf.Tensor) -> tf.Tensor:
    """VGG mean subtraction; see `vgg_mean_subtraction`."""
    return vgg_mean_subtraction(resized_inputs)

  def _build_backbone(self) -> keras.Model:
    output_stride = 8 if self._first_stage_features_stride == 8 else 32
    return build_resnet_backbone(self.RESNET_NAME, self._train_batch_norm,
                                 self._weight_decay, output_stride)

  def _split_layer_names(self) -> Tuple[str, str]:
    """The last conv4 and conv5 block outputs."""
    return resnet_output_layer_names(self.RESNET_NAME)[2:]


class FasterRCNNResnet50KerasFeatureExtractor(
    FasterRCNNResnetKerasFeatureExtractor):
  """ResNet-50 v1; arguments as FasterRCNNResnetKerasFeatureExtractor."""
  RESNET_NAME = "resnet_v1_50"


class FasterRCNNResnet101KerasFeatureExtractor(
    FasterRCNNResnetKerasFeatureExtractor):
  """ResNet-101 v1; arguments as FasterRCNNResnetKerasFeatureExtractor."""
  RESNET_NAME = "resnet_v1_101"


class FasterRCNNResnet152KerasFeatureExtractor(
    FasterRCNNResnetKerasFeatureExtractor):
  """ResNet-152 v1; arguments as FasterRCNNResnetKerasFeatureExtractor."""
  RESNET_NAME = "resnet_v1_152"
