"""Faster R-CNN extractors that split one classification network in two.

The first stage runs the network from its input to a middle layer (the
proposal features, one map of stride first_stage_features_stride); the box
classifier runs the rest of the network, from that layer to a later one, on
ROI crops of the proposal features. Both models share the network's layers,
so one classification checkpoint restores them both.
"""

import abc
from typing import Optional, Tuple

import keras

from object_detection.models import faster_rcnn_keras_feature_extractor


class FasterRCNNSingleLevelKerasFeatureExtractor(
    faster_rcnn_keras_feature_extractor.FasterRCNNKerasFeatureExtractor):
  """A classification network cut between a proposal and a classifier layer.

  Subclasses build the network (`_build_backbone`) and name the two layers
  (`_split_layer_names`).
  """

  def __init__(self,
               is_training: bool,
               first_stage_features_stride: int = 16,
               batch_norm_trainable: bool = False,
               weight_decay: float = 0.0):
    """Creates the extractor; the network is built on first use.

    Args:
      is_training: see the base class.
      first_stage_features_stride: 16, or 8 for the dilated ("atrous")
        network.
      batch_norm_trainable: see the base class.
      weight_decay: see the base class.

    Raises:
      ValueError: if first_stage_features_stride is not 8 or 16.
    """
    if first_stage_features_stride not in (8, 16):
      raise ValueError(
          "first_stage_features_stride must be 8 or 16, got {}".format(
              first_stage_features_stride))
    super().__init__(is_training, first_stage_features_stride,
                     batch_norm_trainable, weight_decay)

  @property
  def proposal_feature_strides(self) -> Tuple[int, ...]:
    return (self._first_stage_features_stride,)

  @abc.abstractmethod
  def _build_backbone(self) -> keras.Model:
    """Builds the whole classification network (called once)."""

  @abc.abstractmethod
  def _split_layer_names(self) -> Tuple[str, str]:
    """Names of the proposal feature layer and the box classifier output."""

  def _get_backbone(self) -> keras.Model:
    if self._backbone is None:
      self._backbone = self._build_backbone()
    return self._backbone

  def _build_proposal_model(self, name: Optional[str]) -> keras.Model:
    """Images -> the proposal feature layer's output."""
    backbone = self._get_backbone()
    proposal_layer, _ = self._split_layer_names()
    return keras.Model(backbone.inputs,
                       backbone.get_layer(proposal_layer).output, name=name)

  def _build_box_classifier_model(self, name: Optional[str]) -> keras.Model:
    """Proposal feature crops -> the box classifier layer's output."""
    backbone = self._get_backbone()
    proposal_layer, classifier_layer = self._split_layer_names()
    return keras.Model(backbone.get_layer(proposal_layer).output,
                       backbone.get_layer(classifier_layer).output, name=name)
