"""Faster R-CNN extractors with a feature pyramid and a fully connected head.

Proposal features: the package's FPN (fpn_feature_maps) on backbone levels
C2 .. C5 (strides 4 .. 32), levels `fpn_min_level` .. `fpn_max_level`, each
float32 [batch, ceil(H / 2**l), ceil(W / 2**l), additional_layer_depth],
returned as a list, finest first. Levels above 5 come from stride-2
convolutions.

Box classifier: flatten, two fully connected ReLU layers of
`box_classifier_fc_units` units, reshaped to [num_rois, 1, 1, units].
"""

import abc
from typing import Any, Dict, Optional, Tuple

import keras

from object_detection.models import default_layer_hyperparams
from object_detection.models import faster_rcnn_keras_feature_extractor
from object_detection.models import fpn_feature_maps


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


class FasterRCNNFpnKerasFeatureExtractor(
    faster_rcnn_keras_feature_extractor.FasterRCNNKerasFeatureExtractor):
  """A backbone with an FPN and a fully connected box classifier.

  Subclasses build the backbone and pick its C2 .. C5 outputs
  (`_build_backbone`) and define `preprocess`.
  """

  def __init__(self,
               is_training: bool,
               first_stage_features_stride: int,
               conv_hyperparams: Any,
               batch_norm_trainable: bool,
               weight_decay: float,
               fpn_min_level: int,
               fpn_max_level: int,
               additional_layer_depth: int,
               box_classifier_fc_units: int):
    """Stores the FPN settings; subclasses check depths and units first.

    Args:
      is_training: see the base class.
      first_stage_features_stride: 8 or 16, validated for config
        compatibility; the FPN strides do not depend on it.
      conv_hyperparams: KerasLayerHyperparams-like object for the FPN layers;
        None uses DefaultLayerHyperparams() (ReLU, no batch norm).
      batch_norm_trainable: see the base class (also applies to the FPN).
      weight_decay: see the base class (backbone and box classifier).
      fpn_min_level: finest level, 2 .. 5.
      fpn_max_level: coarsest level, >= fpn_min_level.
      additional_layer_depth: channels of every FPN level, > 0.
      box_classifier_fc_units: units of the two box classifier layers, > 0.

    Raises:
      ValueError: for invalid levels, stride or weight decay.
    """
    validate_fpn_levels(fpn_min_level, fpn_max_level,
                        first_stage_features_stride)
    super().__init__(is_training, first_stage_features_stride,
                     batch_norm_trainable, weight_decay)
    self._conv_hyperparams = (
        conv_hyperparams if conv_hyperparams is not None
        else default_layer_hyperparams.DefaultLayerHyperparams())
    self._fpn_min_level = fpn_min_level
    self._fpn_max_level = fpn_max_level
    self._depth = additional_layer_depth
    self._fc_units = box_classifier_fc_units

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

  @abc.abstractmethod
  def _build_backbone(self) -> Tuple[keras.Model, Dict[int, Any]]:
    """Builds the backbone (called once).

    Returns:
      (backbone, features): the keras.Model and {level: its output of that
      level}, levels 2 .. 5, level l float32 [batch, ceil(H / 2**l),
      ceil(W / 2**l), depth_l].
    """

  def _build_proposal_model(self, name: Optional[str]) -> keras.Model:
    """Images [batch, H, W, 3] -> list of FPN maps, levels min .. max.

    Level l is float32 [batch, ceil(H / 2**l), ceil(W / 2**l), depth]; the
    model's backbone layers are classification_backbone's.
    """
    self._backbone, features = self._build_backbone()
    outputs = fpn_feature_maps.build_fpn(
        features, self._fpn_min_level, self._fpn_max_level, self._depth,
        self._conv_hyperparams, self._train_batch_norm)
    return keras.Model(self._backbone.inputs, outputs, name=name)

  def _build_box_classifier_model(self, name: Optional[str]) -> keras.Model:
    """ROI crops [N, h, w, depth] -> [N, 1, 1, box_classifier_fc_units]."""
    return build_fc_box_classifier(self._fc_units, self._weight_decay,
                                   name=name)
