"""MaskRCNNKerasBoxPredictor: second and third stage heads of Mask R-CNN.

ROIs of all images are stacked along the first axis of the features. Stage 2
predicts per-ROI box encodings and class logits; stage 3 predicts per-ROI
mask logits. `build_mask_rcnn_keras_box_predictor` assembles one from plain
arguments (the names of the `mask_rcnn_box_predictor` proto fields).
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence

import keras
import tensorflow as tf

from object_detection.predictors import box_predictor
from object_detection.predictors.heads import keras_box_head
from object_detection.predictors.heads import keras_class_head
from object_detection.predictors.heads import keras_mask_head


class MaskRCNNKerasBoxPredictor(keras.layers.Layer):
  """Box, class and (optionally) mask heads of Mask R-CNN."""

  def __init__(self,
               is_training: bool,
               num_classes: int,
               freeze_batchnorm: bool,
               box_prediction_head: keras.layers.Layer,
               class_prediction_head: keras.layers.Layer,
               third_stage_heads: Mapping[str, keras.layers.Layer],
               name: Optional[str] = None):
    """Creates the predictor.

    Args:
      is_training: whether the model is built for training.
      num_classes: number of object classes, without background.
      freeze_batchnorm: kept for the TF OD API signature; the heads carry
        their own batch norm settings.
      box_prediction_head: e.g. keras_box_head.MaskRCNNBoxHead.
      class_prediction_head: e.g. keras_class_head.MaskRCNNClassHead.
      third_stage_heads: prediction key -> head, e.g.
        {MASK_PREDICTIONS: keras_mask_head.MaskRCNNMaskHead}; may be empty.
      name: layer name.
    """
    super().__init__(name=name)
    del freeze_batchnorm
    self._is_training = is_training
    self._num_classes = num_classes
    self._box_prediction_head = box_prediction_head
    self._class_prediction_head = class_prediction_head
    self._third_stage_heads = dict(third_stage_heads)
    # tf.train.Checkpoint does not track layers inside dicts of Keras 3
    # layers: give each head its own attribute.
    for key, head in sorted(self._third_stage_heads.items()):
      setattr(self, "_third_stage_head_" + key, head)

  def build(self, input_shape: Any) -> None:
    """Sub-layers are built on the first call."""
    super().build(input_shape)

  @property
  def num_classes(self) -> int:
    """Number of object classes, without background."""
    return self._num_classes

  def get_second_stage_prediction_heads(self) -> List[str]:
    """Keys of the stage 2 predictions."""
    return [box_predictor.BOX_ENCODINGS,
            box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND]

  def get_third_stage_prediction_heads(self) -> List[str]:
    """Keys of the stage 3 predictions, sorted."""
    return sorted(self._third_stage_heads)

  def call(self, image_features: Sequence[tf.Tensor],
           prediction_stage: int = 2,
           training: Optional[bool] = None) -> Dict[str, tf.Tensor]:
    """Runs the heads of one stage.

    Args:
      image_features: a list holding ONE float32 [num_rois, height, width,
        channels] tensor of ROI features.
      prediction_stage: 2 (boxes and classes) or 3 (masks).
      training: Keras training flag.

    Returns:
      stage 2: {BOX_ENCODINGS: float32 [num_rois, 1, num_boxes, 4],
      CLASS_PREDICTIONS_WITH_BACKGROUND: float32 [num_rois, 1,
      num_classes + 1]}; stage 3: {MASK_PREDICTIONS: float32 [num_rois, 1,
      num_masks, mask_height, mask_width]} (one entry per third stage head).

    Raises:
      ValueError: if image_features does not hold exactly one tensor or
        prediction_stage is not 2 or 3.
    """
    if len(image_features) != 1:
      raise ValueError(
          "MaskRCNNKerasBoxPredictor: image_features must hold exactly one "
          "tensor, got {}".format(len(image_features)))
    features = image_features[0]
    if prediction_stage == 2:
      return {
          box_predictor.BOX_ENCODINGS:
              self._box_prediction_head(features, training=training),
          box_predictor.CLASS_PREDICTIONS_WITH_BACKGROUND:
              self._class_prediction_head(features, training=training),
      }
    if prediction_stage == 3:
      return {key: self._third_stage_heads[key](features, training=training)
              for key in self.get_third_stage_prediction_heads()}
    raise ValueError(
        "MaskRCNNKerasBoxPredictor: prediction_stage must be 2 or 3, got "
        "{}".format(prediction_stage))


def build_mask_rcnn_keras_box_predictor(
    is_training: bool,
    num_classes: int,
    fc_hyperparams: Any,
    freeze_batchnorm: bool,
    use_dropout: bool,
    dropout_keep_prob: float,
    box_code_size: int,
    add_background_class: bool = True,
    share_box_across_classes: bool = False,
    predict_instance_masks: bool = False,
    conv_hyperparams: Any = None,
    mask_height: int = 14,
    mask_width: int = 14,
    mask_prediction_num_conv_layers: int = 2,
    mask_prediction_conv_depth: int = 256,
    masks_are_class_agnostic: bool = False,
    convolve_then_upsample_masks: bool = False) -> MaskRCNNKerasBoxPredictor:
  """Builds a MaskRCNNKerasBoxPredictor with the standard heads.

  Arguments are the `mask_rcnn_box_predictor` fields (plus the model's
  is_training, num_classes and freeze_batchnorm), as in the TF OD API's
  `box_predictor_builder.build_mask_rcnn_keras_box_predictor`.

  Returns:
    the predictor; a mask head under MASK_PREDICTIONS if
    predict_instance_masks.

  Raises:
    ValueError: if predict_instance_masks and conv_hyperparams is None.
  """
  box_head = keras_box_head.MaskRCNNBoxHead(
      is_training=is_training, num_classes=num_classes,
      fc_hyperparams=fc_hyperparams, freeze_batchnorm=freeze_batchnorm,
      use_dropout=use_dropout, dropout_keep_prob=dropout_keep_prob,
      box_code_size=box_code_size,
      share_box_across_classes=share_box_across_classes,
      name="BoxPredictor")
  class_head = keras_class_head.MaskRCNNClassHead(
      is_training=is_training,
      num_class_slots=num_classes + 1 if add_background_class else num_classes,
      fc_hyperparams=fc_hyperparams, freeze_batchnorm=freeze_batchnorm,
      use_dropout=use_dropout, dropout_keep_prob=dropout_keep_prob,
      name="ClassPredictor")
  third_stage_heads = {}
  if predict_instance_masks:
    if conv_hyperparams is None:
      raise ValueError(
          "build_mask_rcnn_keras_box_predictor: predict_instance_masks needs "
          "conv_hyperparams")
    third_stage_heads[box_predictor.MASK_PREDICTIONS] = (
        keras_mask_head.MaskRCNNMaskHead(
            is_training=is_training, num_classes=num_classes,
            freeze_batchnorm=freeze_batchnorm,
            conv_hyperparams=conv_hyperparams, mask_height=mask_height,
            mask_width=mask_width,
            mask_prediction_num_conv_layers=mask_prediction_num_conv_layers,
            mask_prediction_conv_depth=mask_prediction_conv_depth,
            masks_are_class_agnostic=masks_are_class_agnostic,
            convolve_then_upsample=convolve_then_upsample_masks,
            name="MaskPredictor"))
  return MaskRCNNKerasBoxPredictor(
      is_training, num_classes, freeze_batchnorm, box_head, class_head,
      third_stage_heads, name="mask_rcnn_keras_box_predictor")
