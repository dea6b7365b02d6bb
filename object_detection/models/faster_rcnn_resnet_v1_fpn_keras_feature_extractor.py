"""Faster R-CNN feature extractors: Keras ResNet v1 50 / 101 / 152 with FPN.

Proposal features: an FPN (see fpn_feature_maps) on the ResNet outputs C2 ..
C5 (`conv2_block3_out`, `conv3_block{4,8}_out`, `conv4_block{6,23,36}_out`,
`conv5_block3_out`, strides 4 .. 32), levels `fpn_min_level` ..
`fpn_max_level` (defaults 2 .. 6, as the TF OD API), each float32
[batch, ceil(H / 2**l), ceil(W / 2**l), additional_layer_depth], returned as
a list, finest first. Levels above 5 come from stride-2 convolutions.

Box classifier: flatten, two fully connected ReLU layers of
`box_classifier_fc_units` (1024) units, reshaped to [num_rois, 1, 1, 1024].

The ResNet is `keras.applications` with `weights=None`; see
faster_rcnn_resnet_keras_feature_extractor for batch norm and decay. With
`override_base_feature_extractor_hyperparams` its layers follow
`conv_hyperparams` instead, as in the TF OD API.
"""

from typing import Any, Dict, Tuple

import keras
import tensorflow as tf

from object_detection.models import faster_rcnn_fpn_keras_feature_extractor as fpn_base
from object_detection.models import faster_rcnn_resnet_keras_feature_extractor

_resnet = faster_rcnn_resnet_keras_feature_extractor


class FasterRCNNResnetV1FpnKerasFeatureExtractor(
    fpn_base.FasterRCNNFpnKerasFeatureExtractor):
  """Faster R-CNN on a Keras ResNet v1 with a feature pyramid.

  Subclasses set RESNET_NAME to "resnet_v1_50", "resnet_v1_101" or
  "resnet_v1_152".
  """

  RESNET_NAME = ""

  def __init__(self,
               is_training: bool,
               first_stage_features_stride: int = 16,
               conv_hyperparams: Any = None,
               batch_norm_trainable: bool = False,
               weight_decay: float = 0.0,
               fpn_min_level: int = 2,
               fpn_max_level: int = 6,
               additional_layer_depth: int = 256,
               override_base_feature_extractor_hyperparams: bool = False):
    """Creates the extractor; networks are built on first use.

    Args:
      is_training, first_stage_features_stride, conv_hyperparams,
        batch_norm_trainable, weight_decay, fpn_min_level, fpn_max_level,
        additional_layer_depth: see FasterRCNNFpnKerasFeatureExtractor.
      override_base_feature_extractor_hyperparams: if True (and
        conv_hyperparams is given), the ResNet is built with
        conv_hyperparams too: its convolutions take their kernel
        initializer and regularizer (weight_decay is then unused), its batch
        norm layers its batch norm settings (identity layers without batch
        norm) and its activations its activation. Without conv_hyperparams
        the flag has no effect, as in the small FPN extractor.

    Raises:
      ValueError: for invalid levels, stride or depth.
    """
    if additional_layer_depth < 1:
      raise ValueError("additional_layer_depth must be >= 1, got {}".format(
          additional_layer_depth))
    super().__init__(is_training, first_stage_features_stride,
                     conv_hyperparams, batch_norm_trainable, weight_decay,
                     fpn_min_level, fpn_max_level, additional_layer_depth,
                     box_classifier_fc_units=1024)
    self._override_backbone_hyperparams = (
        override_base_feature_extractor_hyperparams
        and conv_hyperparams is not None)

  def preprocess(self, resized_inputs: tf.Tensor) -> tf.Tensor:
    """VGG mean subtraction; see `_resnet.vgg_mean_subtraction`."""
    return _resnet.vgg_mean_subtraction(resized_inputs)

  def _build_backbone(self) -> Tuple[keras.Model, Dict[int, Any]]:
    backbone = _resnet.build_resnet_backbone(
        self.RESNET_NAME, self._train_batch_norm, self._weight_decay,
        conv_hyperparams=(self._conv_hyperparams
                          if self._override_backbone_hyperparams else None))
    layer_names = _resnet.resnet_output_layer_names(self.RESNET_NAME)
    features = {level: backbone.get_layer(layer_name).output
                for level, layer_name in zip(range(2, 6), layer_names)}
    return backbone, features


class FasterRCNNResnet50FpnKerasFeatureExtractor(
    FasterRCNNResnetV1FpnKerasFeatureExtractor):
  """ResNet-50 v1 FPN; see FasterRCNNResnetV1FpnKerasFeatureExtractor."""
  RESNET_NAME = "resnet_v1_50"


class FasterRCNNResnet101FpnKerasFeatureExtractor(
    FasterRCNNResnetV1FpnKerasFeatureExtractor):
  """ResNet-101 v1 FPN; see FasterRCNNResnetV1FpnKerasFeatureExtractor."""
  RESNET_NAME = "resnet_v1_101"


class FasterRCNNResnet152FpnKerasFeatureExtractor(
    FasterRCNNResnetV1FpnKerasFeatureExtractor):
  """ResNet-152 v1 FPN; see FasterRCNNResnetV1FpnKerasFeatureExtractor."""
  RESNET_NAME = "resnet_v1_152"
