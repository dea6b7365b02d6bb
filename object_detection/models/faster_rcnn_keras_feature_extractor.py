"""FasterRCNNKerasFeatureExtractor: the interface of Faster R-CNN backbones.

A Faster R-CNN feature extractor supplies three things to the
meta-architecture:

  * `preprocess(resized_inputs)`: maps float32 [batch, height, width, 3]
    images with values in [0, 255] to the network's input range;
  * `get_proposal_feature_extractor_model(name)`: a keras.Model from
    preprocessed images float32 [batch, height, width, 3] to the features the
    region proposal network reads and ROIs are cropped from. Single-level
    extractors return ONE tensor float32 [batch, height / stride,
    width / stride, depth]; FPN extractors return a LIST of tensors, one per
    level from `fpn_min_level` to `fpn_max_level` (finest first), level l of
    shape [batch, ceil(height / 2**l), ceil(width / 2**l), fpn_depth];
  * `get_box_classifier_feature_extractor_model(name)`: a keras.Model from ROI
    crops float32 [num_rois, crop_height, crop_width, depth] to box classifier
    features float32 [num_rois, h, w, box_classifier_depth] (h = w = 1 for
    the fully connected heads of FPN extractors).

`proposal_feature_strides` (a tuple of Python ints, one per proposal feature
map) and `fpn_min_level` / `fpn_max_level` (None for single-level extractors)
describe the proposal features statically, so anchors and ROI level
assignment can be computed in Python.

Both models are built on the first `get_*_model` call (by the subclass's
`_build_proposal_model` / `_build_box_classifier_model`) and later calls
return the same objects, so their layers and weights are created once.
"""

import abc
from typing import Dict, Optional, Tuple

import keras
import tensorflow as tf


class FasterRCNNKerasFeatureExtractor(abc.ABC):
  """Base class of the Keras feature extractors of Faster / Mask R-CNN."""

  def __init__(self,
               is_training: bool,
               first_stage_features_stride: int,
               batch_norm_trainable: bool = False,
               weight_decay: float = 0.0):
    """Stores the settings shared by all extractors.

    Args:
      is_training: whether the model is built for training.
      first_stage_features_stride: output stride of the proposal features of
        single-level extractors (8 or 16 where supported); FPN extractors
        accept it for config compatibility and document how they use it.
      batch_norm_trainable: if True (and is_training), backbone batch norm
        layers use batch statistics in training and update their moving
        averages; otherwise they always use their moving averages ("frozen"
        statistics) while their scale and offset stay trainable.
      weight_decay: L2 weight decay of the backbone kernels; each kernel adds
        0.5 * weight_decay * sum(kernel ** 2) to the model's losses (the TF OD
        API's convention). Must be >= 0.

    Raises:
      ValueError: if weight_decay is negative.
    """
    if weight_decay < 0:
      raise ValueError("weight_decay must be >= 0, got {}".format(
          weight_decay))
    self._is_training = is_training
    self._first_stage_features_stride = first_stage_features_stride
    self._train_batch_norm = bool(batch_norm_trainable and is_training)
    self._weight_decay = weight_decay
    # Set by the subclasses' builders; see classification_backbone.
    self._backbone: Optional[keras.Model] = None
    self._proposal_model: Optional[keras.Model] = None
    self._box_classifier_model: Optional[keras.Model] = None

  @property
  def is_training(self) -> bool:
    """Whether the extractor was built for training."""
    return self._is_training

  @property
  def first_stage_features_stride(self) -> int:
    """The `first_stage_features_stride` the extractor was built with."""
    return self._first_stage_features_stride

  @property
  def fpn_min_level(self) -> Optional[int]:
    """Finest FPN level of the proposal features; None if single-level."""
    return None

  @property
  def fpn_max_level(self) -> Optional[int]:
    """Coarsest FPN level of the proposal features; None if single-level."""
    return None

  @property
  @abc.abstractmethod
  def proposal_feature_strides(self) -> Tuple[int, ...]:
    """Output stride of each proposal feature map, in output order."""

  @property
  def classification_backbone(self) -> Optional[keras.Model]:
    """The classification network the proposal features come from.

    None until `get_proposal_feature_extractor_model` (or, for single-level
    extractors, `get_box_classifier_feature_extractor_model`) has been
    called. It is what a classification checkpoint restores.
    """
    return self._backbone

  @abc.abstractmethod
  def preprocess(self, resized_inputs: tf.Tensor) -> tf.Tensor:
    """Maps images to the network's input range.

    Args:
      resized_inputs: float32 [batch, height, width, channels] images with
        values in [0, 255].

    Returns:
      float32 [batch, height, width, channels] preprocessed images.
    """

  def get_proposal_feature_extractor_model(
      self, name: Optional[str] = None) -> keras.Model:
    """Returns the first stage model; see the module docstring for shapes.

    Args:
      name: name of the returned keras.Model (first call only; later calls
        return the same model).

    Returns:
      the keras.Model, built on the first call.
    """
    if self._proposal_model is None:
      self._proposal_model = self._build_proposal_model(name)
    return self._proposal_model

  def get_box_classifier_feature_extractor_model(
      self, name: Optional[str] = None) -> keras.Model:
    """As get_proposal_feature_extractor_model, for the second stage model."""
    if self._box_classifier_model is None:
      self._box_classifier_model = self._build_box_classifier_model(name)
    return self._box_classifier_model

  @abc.abstractmethod
  def _build_proposal_model(self, name: Optional[str]) -> keras.Model:
    """Builds the first stage model (called once); sets `_backbone`.

    Single-level extractors may set `_backbone` in either builder.
    """

  @abc.abstractmethod
  def _build_box_classifier_model(self, name: Optional[str]) -> keras.Model:
    """Builds the second stage model (called once)."""

  def restore_from_classification_checkpoint_fn(
      self,
      first_stage_feature_extractor_scope: str,
      second_stage_feature_extractor_scope: str) -> Dict[str, keras.Model]:
    """Objects to restore from a classification checkpoint.

    A classification checkpoint here is a TF2 object-based checkpoint written
    by `tf.train.Checkpoint(feature_extractor=<the Keras backbone>)`; restore
    it with `tf.train.Checkpoint(**returned_dict).restore(path)`.

    Args:
      first_stage_feature_extractor_scope: unused; kept for the TF OD API
        signature (TF2 checkpoints are matched by object, not by name).
      second_stage_feature_extractor_scope: unused, as above.

    Returns:
      {'feature_extractor': classification_backbone}.

    Raises:
      ValueError: if no model has been built yet.
    """
    del first_stage_feature_extractor_scope
    del second_stage_feature_extractor_scope
    if self.classification_backbone is None:
      raise ValueError(
          "restore_from_classification_checkpoint_fn: build the models with "
          "get_proposal_feature_extractor_model first")
    return {"feature_extractor": self.classification_backbone}
