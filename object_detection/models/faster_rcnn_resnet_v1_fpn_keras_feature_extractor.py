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
faster_rcnn_resnet_keras_feature_extractor for batch norm and decay.
"""

from typing import Any, Optional, Tuple

import keras
import tensorflow as tf

from object_detection.models import default_layer_hyperparams
from object_detection.models import faster_rcnn_keras_feature_extractor
from object_detection.models import faster_rcnn_resnet_keras_feature_extractor
from object_detection.models import fpn_feature_maps

_resnet = faster_rcnn_resnet_keras_feature_extractor


def build_fc_box_classifier(fc_units: int, weight_decay: float,
                            name: Optional[str] = None) -> keras.Model:
  """Two fully connected ReLU layers on flattened ROI crops.

  Args:
    fc_units: units of both layers, > 0.
    weight_decay: >= 0 L2 decay of the kernels (0.5 * weight_decay * sum w^2).
    name: name of the model.

  Returns:
    keras.Sequential float32 [num_rois, h, w, C] -> [num_rois, 1, 1, fc_units];
    it is built on its first call (h, w, C must then be static).
  """
  regularizer = (keras.regularizers.L2(0.5 * weight_decay)
                 if weight_decay > 0 else None)
  return keras.Sequential([
      keras.layers.Flatten(name="flatten"),
      keras.layers.Dense(fc_units, activation="relu", name="fc1",
                         kernel_regularizer=regularizer),
      keras.layers.Dense(fc_units, activation="relu", name="fc2",
                         kernel_regularizer=regularizer),
      keras.layers.Reshape((1, 1, fc_units), name="to_4d"),
  ], name=name)


def validate_fpn_levels(min_level: int, max_level: int,
                        first_stage_features_stride: int) -> None:
  """Checks FPN levels and stride against the TF OD API's rules.

  Raises:
    ValueError: unless 2 <= min_level <= 5, max_level >= min_level and
      first_stage_features_stride is 8 or 16.
  """
  if not 2 <= min_level <= 5:
    raise ValueError("fpn min_level must be in [2, 5], got {}".format(
        min_level))
  if max_level < min_level:
    raise ValueError(
        "fpn max_level must be >= min_level ({}), got {}".format(
            min_level, max_level))
  if first_stage_features_stride not in (8, 16):
    raise ValueError(
        "first_stage_features_stride must be 8 or 16, got {}".format(
            first_stage_features_stride))


class FasterRCNNResnetV1FpnKerasFeatureExtractor(
    faster_rcnn_keras_feature_extractor.FasterRCNNKerasFeatureExtractor):
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
      is_training: see the base class.
      first_stage_features_stride: 8 or 16, validated as in the TF OD API;
        the FPN strides do not depend on it.
      conv_hyperparams: KerasLayerHyperparams-like object for the FPN layers;
        None uses DefaultLayerHyperparams() (ReLU, no batch norm).
      batch_norm_trainable: see the base class (also applies to the FPN).
      weight_decay: see the base class (backbone and box classifier).
      fpn_min_level: finest level, 2 .. 5.
      fpn_max_level: coarsest level, >= fpn_min_level.
      additional_layer_depth: channels of every FPN level, > 0.
      override_base_feature_extractor_hyperparams: must be False; the Keras
        ResNet keeps its own layer settings.

    Raises:
      ValueError: for invalid levels, stride or depth, or
        override_base_feature_extractor_hyperparams set.
    """
    validate_fpn_levels(fpn_min_level, fpn_max_level,
                        first_stage_features_stride)
    if additional_layer_depth < 1:
      raise ValueError("additional_layer_depth must be >= 1, got {}".format(
          additional_layer_depth))
    if override_base_feature_extractor_hyperparams:
      raise ValueError(
          "override_base_feature_extractor_hyperparams is not supported by "
          "the Keras ResNet FPN extractors")
    super().__init__(is_training, first_stage_features_stride,
                     batch_norm_trainable, weight_decay)
    self._resnet_name = self.RESNET_NAME
    self._conv_hyperparams = (
        conv_hyperparams if conv_hyperparams is not None
        else default_layer_hyperparams.DefaultLayerHyperparams())
    self._fpn_min_level = fpn_min_level
    self._fpn_max_level = fpn_max_level
    self._depth = additional_layer_depth
    self._backbone = None
    self._proposal_model = None
    self._box_classifier_model = None

  @property
  def fpn_min_level(self) -> int:
    return self._fpn_min_level

  @property
  def fpn_max_level(self) -> int:
    return self._fpn_max_level

  @property
  def proposal_feature_strides(self) -> Tuple[int, ...]:
    return tuple(2 ** level for level in range(self._fpn_min_level,
                                                self._fpn_max_level + 1))

  @property
  def classification_backbone(self) -> Optional[keras.Model]:
    return self._backbone

  def preprocess(self, resized_inputs: tf.Tensor) -> tf.Tensor:
    """VGG mean subtraction; see `_resnet.vgg_mean_subtraction`."""
    return _resnet.vgg_mean_subtraction(resized_inputs)

  def get_proposal_feature_extractor_model(
      self, name: Optional[str] = None) -> keras.Model:
    """Images [batch, H, W, 3] -> list of FPN maps, levels min .. max.

    Level l is float32 [batch, ceil(H / 2**l), ceil(W / 2**l), depth]. The
    model is built once; later calls return the same object.

    Args:
      name: name of the returned keras.Model (first call only).

    Returns:
      the keras.Model; its ResNet layers are classification_backbone's.
    """
    if self._proposal_model is None:
      self._backbone = _resnet.build_resnet_backbone(
          self._resnet_name, self._train_batch_norm, self._weight_decay)
      layer_names = _resnet.resnet_output_layer_names(self._resnet_name)
      features = {level: self._backbone.get_layer(layer_name).output
                  for level, layer_name in zip(range(2, 6), layer_names)}
      outputs = fpn_feature_maps.build_fpn(
          features, self._fpn_min_level, self._fpn_max_level, self._depth,
          self._conv_hyperparams, self._train_batch_norm)
      self._proposal_model = keras.Model(self._backbone.inputs, outputs,
                                         name=name)
    return self._proposal_model

  def get_box_classifier_feature_extractor_model(
      self, name: Optional[str] = None) -> keras.Model:
    """ROI crops [N, h, w, depth] -> [N, 1, 1, 1024] (two ReLU fc layers).

    Args:
      name: name of the returned keras.Model (first call only).

    Returns:
      the keras.Model, built on its first call.
    """
    if self._box_classifier_model is None:
      self._box_classifier_model = build_fc_box_classifier(
          1024, self._weight_decay, name=name)
    return self._box_classifier_model


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
