"""DetectionModel: the interface every detection meta-architecture implements.

The life of a batch (TF Object Detection API semantics):

    preprocessed, true_image_shapes = model.preprocess(images)
    model.provide_groundtruth(boxes_list, classes_list, ...)  # training
    prediction_dict = model.predict(preprocessed, true_image_shapes)
    losses = model.loss(prediction_dict, true_image_shapes)     # training
    detections = model.postprocess(prediction_dict, true_image_shapes)

Conventions: images are float32 [batch, height, width, channels];
groundtruth boxes are normalised [ymin, xmin, ymax, xmax] relative to the
true image (the content before padding, which for the resizers here is
the same frame as the padded image with content at the top left);
groundtruth classes are one-hot float32 [num_boxes, num_classes] WITHOUT
the background class; output `detection_classes` are 0-based.

The model is a `keras.layers.Layer` so that its Keras sub-models are tracked:
`trainable_variables`, `losses` (weight regularisation) and
`tf.train.Checkpoint(model=...)` all see them.
"""

import abc
from typing import Any, Dict, List, Optional, Sequence, Tuple

import keras
import tensorflow as tf

from object_detection.core import standard_fields as fields

# provide_groundtruth argument -> key of the stored groundtruth list.
_GROUNDTRUTH_KEYS = {
    "groundtruth_masks_list": fields.BoxListFields.masks,
    "groundtruth_keypoints_list": fields.BoxListFields.keypoints,
    "groundtruth_keypoint_visibilities_list":
        fields.BoxListFields.keypoint_visibilities,
    "groundtruth_keypoint_depths_list": fields.BoxListFields.keypoint_depths,
    "groundtruth_keypoint_depth_weights_list":
        fields.BoxListFields.keypoint_depth_weights,
    "groundtruth_dp_num_points_list": fields.BoxListFields.densepose_num_points,
    "groundtruth_dp_part_ids_list": fields.BoxListFields.densepose_part_ids,
    "groundtruth_dp_surface_coords_list":
        fields.BoxListFields.densepose_surface_coords,
    "groundtruth_track_ids_list": fields.BoxListFields.track_ids,
    "groundtruth_temporal_offsets_list": fields.BoxListFields.temporal_offsets,
    "groundtruth_track_match_flags_list":
        fields.BoxListFields.track_match_flags,
    "groundtruth_weights_list": fields.BoxListFields.weights,
    "groundtruth_confidences_list": fields.BoxListFields.confidences,
    "groundtruth_is_crowd_list": fields.BoxListFields.is_crowd,
    "groundtruth_group_of_list": fields.BoxListFields.group_of,
    "groundtruth_area_list": fields.InputDataFields.groundtruth_area,
    "is_annotated_list": fields.InputDataFields.is_annotated,
    "groundtruth_labeled_classes":
        fields.InputDataFields.groundtruth_labeled_classes,
    "groundtruth_verified_neg_classes":
        fields.InputDataFields.groundtruth_verified_neg_classes,
    "groundtruth_not_exhaustive_classes":
        fields.InputDataFields.groundtruth_not_exhaustive_classes,
    "groundtruth_image_classes":
        fields.InputDataFields.groundtruth_image_classes,
}


class DetectionModel(keras.layers.Layer, abc.ABC):
  """Abstract base of detection models.

  Args:
    num_classes: number of classes, background excluded (> 0).
  """

  def __init__(self, num_classes: int):
    super().__init__()
    self._num_classes = num_classes
    self._groundtruth_lists = {}
    self._training_step = None

  @property
  def num_classes(self) -> int:
    """Number of classes, background excluded."""
    return self._num_classes

  @property
  def training_step(self) -> Optional[tf.Tensor]:
    """The training step passed to provide_groundtruth, if any."""
    return self._training_step

  def groundtruth_lists(self, field: str) -> List[tf.Tensor]:
    """The groundtruth tensors of one field, one per image.

    Args:
      field: a BoxListFields / InputDataFields name.

    Raises:
      RuntimeError: if that field was not provided.
    """
    if field not in self._groundtruth_lists:
      raise RuntimeError(
          "Groundtruth tensor {} has not been provided".format(field))
    return list(self._groundtruth_lists[field])

  def groundtruth_has_field(self, field: str) -> bool:
    """Whether provide_groundtruth stored this field."""
    return field in self._groundtruth_lists

  @staticmethod
  def get_side_inputs(features: Dict[str, tf.Tensor]) -> Dict[str, Any]:
    """Side inputs predict() needs besides images; none by default."""
    del features
    return {}

  def provide_groundtruth(
      self,
      groundtruth_boxes_list: Sequence[tf.Tensor],
      groundtruth_classes_list: Sequence[tf.Tensor],
      groundtruth_masks_list: Optional[Sequence[tf.Tensor]] = None,
      groundtruth_keypoints_list: Optional[Sequence[tf.Tensor]] = None,
      groundtruth_keypoint_visibilities_list=None,
      groundtruth_dp_num_points_list=None,
      groundtruth_dp_part_ids_list=None,
      groundtruth_dp_surface_coords_list=None,
      groundtruth_track_ids_list=None,
      groundtruth_temporal_offsets_list=None,
      groundtruth_track_match_flags_list=None,
      groundtruth_weights_list: Optional[Sequence[tf.Tensor]] = None,
      groundtruth_confidences_list=None,
      groundtruth_is_crowd_list=None,
      groundtruth_group_of_list=None,
      groundtruth_area_list=None,
      is_annotated_list=None,
      groundtruth_labeled_classes=None,
      groundtruth_verified_neg_classes=None,
      groundtruth_not_exhaustive_classes=None,
      groundtruth_keypoint_depths_list=None,
      groundtruth_keypoint_depth_weights_list=None,
      groundtruth_image_classes=None,
      training_step: Optional[tf.Tensor] = None) -> None:
    """Stores the groundtruth of a batch for loss() (and training predict()).

    Args:
      groundtruth_boxes_list: batch float32 [num_boxes_i, 4] normalised
        boxes.
      groundtruth_classes_list: batch float32 [num_boxes_i, num_classes]
        one-hot classes (background excluded).
      groundtruth_masks_list: batch float32/uint8 [num_boxes_i, height,
        width] instance masks in the frame of the preprocessed image.
      groundtruth_weights_list: batch float32 [num_boxes_i] weights.
      is_annotated_list: batch bool scalars; False images add no loss.
      training_step: optional int scalar, the current step.
      The other arguments are per-box fields of the TF OD API stored under
      their standard names for models that use them.
    """
    arguments = dict(locals())
    self._groundtruth_lists = {
        fields.BoxListFields.boxes: list(groundtruth_boxes_list),
        fields.BoxListFields.classes: list(groundtruth_classes_list),
    }
    for argument, key in _GROUNDTRUTH_KEYS.items():
      if arguments[argument] is not None:
        self._groundtruth_lists[key] = list(arguments[argument])
    self._training_step = training_step

  def call(self, images: tf.Tensor) -> Dict[str, tf.Tensor]:
    """preprocess -> predict -> postprocess, for Keras-style use."""
    preprocessed, true_image_shapes = self.preprocess(images)
    prediction_dict = self.predict(preprocessed, true_image_shapes)
    return self.postprocess(prediction_dict, true_image_shapes)

  @abc.abstractmethod
  def preprocess(self, inputs: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    """Resizes and normalises a batch of images.

    Args:
      inputs: float32 [batch, height, width, channels] images in [0, 255].

    Returns:
      preprocessed_inputs: float32 [batch, new_height, new_width, channels].
      true_image_shapes: int32 [batch, 3] size of each image's content.
    """

  @abc.abstractmethod
  def predict(self, preprocessed_inputs: tf.Tensor,
              true_image_shapes: tf.Tensor, **side_inputs
              ) -> Dict[str, Any]:
    """Runs the network; returns the raw prediction tensors."""

  @abc.abstractmethod
  def postprocess(self, prediction_dict: Dict[str, Any],
                  true_image_shapes: tf.Tensor, **params
                  ) -> Dict[str, tf.Tensor]:
    """Turns predictions into detections (DetectionResultFields keys)."""

  @abc.abstractmethod
  def loss(self, prediction_dict: Dict[str, Any],
           true_image_shapes: tf.Tensor) -> Dict[str, tf.Tensor]:
    """Named scalar losses; needs provide_groundtruth first."""

  @abc.abstractmethod
  def regularization_losses(self) -> List[tf.Tensor]:
    """Weight regularisation losses of the model's layers."""

  @abc.abstractmethod
  def restore_from_objects(self, fine_tune_checkpoint_type: str = "detection"
                           ) -> Dict[str, Any]:
    """Objects for `tf.train.Checkpoint(**objects).restore(path)`.

    Args:
      fine_tune_checkpoint_type: 'classification', 'detection' or 'full'.
    """

  @abc.abstractmethod
  def updates(self) -> List[Any]:
    """Update ops to run each step (always empty in TF2 eager/graph)."""
