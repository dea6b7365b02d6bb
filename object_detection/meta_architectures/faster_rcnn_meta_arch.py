"""Faster R-CNN with an optional mask stage (Mask R-CNN): the assembler.

This module only wires stages; each stage lives in its own module:

  backbone (+ FPN)      models/ feature extractor
  anchors               anchor_generators/
  RPN head              predictors/ (wrapped as a callable)
  proposals             proposal_generator.py
  proposal sampling     proposal_sampler.py (training)
  ROI features          roi_ops.py (one multi-level crop_and_resize)
  box head / mask head  predictors/ (wrapped as callables)
  losses                rpn_loss.py, box_classifier_loss.py, mask_loss.py
  detections            detection_postprocessor.py

Frames: anchors are absolute pixels of the padded input batch; proposals
and ROIs are normalised to the padded input; groundtruth boxes arrive
normalised to each image's true (unpadded) content, detections leave
normalised to it. TF Object Detection API semantics throughout
(number_of_stages 1, 2 or 3; at inference the mask head runs on the final
detections, in training on the sampled positive ROIs only).
"""

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import keras
import tensorflow as tf

from object_detection.anchor_generators import multiscale_grid_anchor_generator as multiscale
from object_detection.core import anchor_generator as anchor_generator_lib
from object_detection.core import box_list_ops
from object_detection.core import model
from object_detection.core import standard_fields as fields
from object_detection.meta_architectures import box_classifier_loss as box_classifier_loss_lib
from object_detection.meta_architectures import detection_postprocessor
from object_detection.meta_architectures import mask_loss as mask_loss_lib
from object_detection.meta_architectures import proposal_generator as proposal_generator_lib
from object_detection.meta_architectures import proposal_sampler as proposal_sampler_lib
from object_detection.meta_architectures import roi_ops
from object_detection.meta_architectures import rpn_loss as rpn_loss_lib
from object_detection.predictors import box_predictor as box_predictor_lib
from object_detection.utils import shape_utils

_Detections = fields.DetectionResultFields
_BoxList = fields.BoxListFields

# Prediction dict keys of this model (beyond DetectionResultFields).
RPN_BOX_ENCODINGS = "rpn_box_encodings"
RPN_OBJECTNESS = "rpn_objectness_predictions_with_background"
ANCHORS = "anchors"
VALID_ANCHORS = "valid_anchors"
IMAGE_SHAPE = "image_shape"
PROPOSAL_BOXES = "proposal_boxes_normalized"
PROPOSAL_SCORES = "proposal_scores"
NUM_PROPOSALS = "num_proposals"
REFINED_BOX_ENCODINGS = "refined_box_encodings"
CLASS_PREDICTIONS = "class_predictions_with_background"
MASK_PREDICTIONS = "mask_predictions"
SAMPLED_TARGETS = "sampled_targets"
FEATURE_MAPS = "feature_maps"


@dataclasses.dataclass(frozen=True)
class FasterRcnnHeads:
  """The trainable heads (predictors/ Keras layers).

  Attributes:
    rpn_box_predictor: an RpnBoxPredictor: list of float32 [batch, h_l,
      w_l, depth] -> {BOX_ENCODINGS: [batch, num_anchors, 4],
      CLASS_PREDICTIONS_WITH_BACKGROUND: [batch, num_anchors, 2]}, anchors
      in generator order.
    box_predictor: a MaskRCNNKerasBoxPredictor (stage 2: boxes and classes;
      stage 3: masks, if it has a MASK_PREDICTIONS head); None with one
      stage.
    masks_from_roi_crops: if True the mask head reads the ROI crops
      (initial_crop_size, before max pooling), as the Mask R-CNN paper's
      FPN mask branch; else the box classifier features, as the TF OD API
      (right for single-level extractors whose box classifier is conv).
  """
  rpn_box_predictor: Any
  box_predictor: Any = None
  masks_from_roi_crops: bool = True


@dataclasses.dataclass(frozen=True)
class FasterRcnnStages:
  """Non-trainable stage objects and settings.

  Attributes:
    number_of_stages: 1 (RPN only), 2 or 3 (3 acts as 2 in training).
    proposal_generator: a ProposalGenerator.
    roi_extractor: a RoiFeatureExtractor (crop size = initial_crop_size).
    maxpool_kernel_size: max pool applied to ROI crops.
    maxpool_stride: stride of that max pool.
    postprocessor: a DetectionPostprocessor.
    clip_anchors_to_image: training only: clip anchors to the image rather
      than ignoring the ones that cross its border.
    resize_masks: resize groundtruth masks with the image resizer.
  """
  number_of_stages: int
  proposal_generator: proposal_generator_lib.ProposalGenerator
  roi_extractor: Optional[roi_ops.RoiFeatureExtractor] = None
  maxpool_kernel_size: int = 1
  maxpool_stride: int = 1
  postprocessor: Optional[detection_postprocessor.DetectionPostprocessor] = None
  clip_anchors_to_image: bool = False
  resize_masks: bool = True


@dataclasses.dataclass(frozen=True)
class FasterRcnnLosses:
  """Target assignment and loss objects.

  Attributes:
    rpn_loss: an RpnLoss.
    proposal_sampler: a ProposalSampler (second-stage targets).
    box_classifier_loss: a BoxClassifierLoss.
    mask_loss: a MaskLoss, or None without masks.
    sample_proposals: False with hard example mining (all proposals go to
      the second stage).
  """
  rpn_loss: rpn_loss_lib.RpnLoss
  proposal_sampler: Optional[proposal_sampler_lib.ProposalSampler] = None
  box_classifier_loss: Optional[
      box_classifier_loss_lib.BoxClassifierLoss] = None
  mask_loss: Optional[mask_loss_lib.MaskLoss] = None
  sample_proposals: bool = True


class FasterRCNNMetaArch(model.DetectionModel):
  """Faster / Mask R-CNN.

  Args:
    is_training: whether the model is built for training.
    num_classes: number of classes, background excluded.
    image_resizer_fn: image_resizer_builder function (one image ->
      [resized image, (masks,) true shape]).
    feature_extractor: a FasterRCNNKerasFeatureExtractor.
    anchor_generator: the first-stage AnchorGenerator (one anchor grid per
      proposal feature map).
    heads: FasterRcnnHeads.
    stages: FasterRcnnStages.
    losses: FasterRcnnLosses.

  Raises:
    ValueError: for inconsistent stages and heads.
  """

  def __init__(self, is_training: bool, num_classes: int,
               image_resizer_fn: Callable[..., List[tf.Tensor]],
               feature_extractor: Any,
               anchor_generator: anchor_generator_lib.AnchorGenerator,
               heads: FasterRcnnHeads, stages: FasterRcnnStages,
               losses: FasterRcnnLosses):
    super().__init__(num_classes=num_classes)
    if stages.number_of_stages not in (1, 2, 3):
      raise ValueError("number_of_stages must be 1, 2 or 3, got {}".format(
          stages.number_of_stages))
    if stages.number_of_stages > 1 and (heads.box_predictor is None
                                        or stages.roi_extractor is None):
      raise ValueError(
          "a second stage needs a box predictor and an ROI extractor")
    self._is_training = is_training
    self._image_resizer_fn = image_resizer_fn
    self._feature_extractor = feature_extractor
    self._anchor_generator = anchor_generator
    self._stages = stages
    self._model_losses = losses
    self._num_stages = (min(stages.number_of_stages, 2) if is_training
                        else stages.number_of_stages)
    self._masks_from_roi_crops = heads.masks_from_roi_crops
    # Attribute names follow the TF OD API, so checkpoints line up.
    self._feature_extractor_for_proposal_features = (
        feature_extractor.get_proposal_feature_extractor_model(
            name="FirstStageFeatureExtractor"))
    self._first_stage_box_predictor = heads.rpn_box_predictor
    self._feature_extractor_for_box_classifier_features = None
    self._mask_rcnn_box_predictor = heads.box_predictor
    self._predicts_masks = (
        heads.box_predictor is not None and box_predictor_lib.MASK_PREDICTIONS
        in heads.box_predictor.get_third_stage_prediction_heads())
    if self._num_stages > 1:
      self._feature_extractor_for_box_classifier_features = (
          feature_extractor.get_box_classifier_feature_extractor_model(
              name="SecondStageFeatureExtractor"))
    self._anchor_cache: Dict[Tuple, Tuple[tf.Tensor, tf.Tensor]] = {}

  @property
  def first_stage_feature_extractor_scope(self) -> str:
    return "FirstStageFeatureExtractor"

  @property
  def second_stage_feature_extractor_scope(self) -> str:
    return "SecondStageFeatureExtractor"

  @property
  def max_num_proposals(self) -> int:
    """ROIs per image entering the second stage."""
    if (self._is_training and self._model_losses.sample_proposals
        and self._model_losses.proposal_sampler is not None):
      return self._model_losses.proposal_sampler.batch_size
    return self._stages.proposal_generator.max_proposals

  @property
  def has_masks(self) -> bool:
    """Whether the model predicts instance masks."""
    return self._predicts_masks and self._num_stages > 1

  # ------------------------------------------------------------------ API

  def preprocess(self, inputs: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    """Resizes each image, then applies the extractor's normalisation.

    Args:
      inputs: float32 [batch, height, width, 3] in [0, 255].

    Returns:
      float32 [batch, new_height, new_width, 3] and int32 [batch, 3].
    """
    with tf.name_scope("Preprocessor"):
      inputs = tf.cast(inputs, tf.float32)
      if inputs.shape[0] is not None:
        resized = [self._image_resizer_fn(image)
                   for image in tf.unstack(inputs)]
        images = tf.stack([r[0] for r in resized])
        true_shapes = tf.stack([tf.cast(r[-1], tf.int32) for r in resized])
      else:
        # An exported model takes a batch of any size: every image must
        # then resize to one shape (fixed_shape_resizer, or
        # keep_aspect_ratio_resizer with pad_to_max_dimension).
        images, true_shapes = tf.map_fn(
            self._resize_one, inputs,
            fn_output_signature=(tf.float32, tf.int32))
      return self._feature_extractor.preprocess(images), true_shapes

  def _resize_one(self, image: tf.Tensor) -> Tuple[tf.Tensor, tf.Tensor]:
    resized = self._image_resizer_fn(image)
    return resized[0], tf.cast(resized[-1], tf.int32)

  def predict(self, preprocessed_inputs: tf.Tensor,
              true_image_shapes: tf.Tensor, **side_inputs) -> Dict[str, Any]:
    """Backbone -> RPN -> proposals -> ROI features -> heads.

    Args:
      preprocessed_inputs: float32 [batch, height, width, 3].
      true_image_shapes: int32 [batch, 3].

    Returns:
      dict with the RPN outputs, anchors, proposals and (2+ stages) the box
      classifier outputs; in training also the sampled targets, at
      inference with masks also the detections and their mask logits.
    """
    del side_inputs
    image_shape = tf.shape(preprocessed_inputs)
    feature_maps = self._extract_features(preprocessed_inputs)
    anchors, valid_anchors = self._anchors(
        feature_maps, image_shape, preprocessed_inputs.shape[1:3])
    rpn_box_encodings, rpn_objectness = self._rpn(feature_maps)
    proposals, proposal_scores, num_proposals = self._propose(
        rpn_box_encodings, rpn_objectness, anchors, valid_anchors,
        image_shape, true_image_shapes)
    predictions = {
        RPN_BOX_ENCODINGS: rpn_box_encodings, RPN_OBJECTNESS: rpn_objectness,
        ANCHORS: anchors, IMAGE_SHAPE: image_shape,
        PROPOSAL_BOXES: proposals, PROPOSAL_SCORES: proposal_scores,
        NUM_PROPOSALS: num_proposals,
        FEATURE_MAPS: feature_maps,
    }
    if valid_anchors is not None:
      predictions[VALID_ANCHORS] = valid_anchors
    if self._num_stages == 1:
      return predictions
    rois, num_rois = proposals, num_proposals
    if self._is_training:
      targets = self._sample_proposals(proposals, num_proposals,
                                       true_image_shapes, image_shape)
      predictions[SAMPLED_TARGETS] = targets
      rois, num_rois = targets.boxes, targets.num_sampled
      predictions[PROPOSAL_BOXES] = rois
      predictions[NUM_PROPOSALS] = num_rois
    roi_crops = self._crop_rois(feature_maps, rois, image_shape)
    box_features = self._box_classifier_features(roi_crops)
    box_encodings, class_logits = self._classify_boxes(box_features)
    predictions[REFINED_BOX_ENCODINGS] = box_encodings
    predictions[CLASS_PREDICTIONS] = class_logits
    if self.has_masks and self._is_training:
      num_slots = self._num_mask_slots(predictions[SAMPLED_TARGETS])
      predictions[MASK_PREDICTIONS] = self._predict_masks(
          roi_crops[:, :num_slots], box_features[:, :num_slots])
    elif self.has_masks:
      predictions.update(self._detect_with_masks(
          predictions, feature_maps, image_shape, true_image_shapes))
    return predictions

  def postprocess(self, prediction_dict: Dict[str, Any],
                  true_image_shapes: tf.Tensor, **params
                  ) -> Dict[str, tf.Tensor]:
    """Detections (DetectionResultFields keys), boxes normalised.

    With one stage the detections are the proposals (class 0, objectness
    scores). With masks, detection_masks are float32 [batch,
    max_detections, mask_height, mask_width] probabilities of the detected
    class, in box coordinates.
    """
    del params
    with tf.name_scope("SecondStagePostprocessor"):
      if self._num_stages == 1:
        return self._proposals_as_detections(prediction_dict,
                                             true_image_shapes)
      if _Detections.detection_boxes in prediction_dict:
        detections = {key: prediction_dict[key]
                      for key in _DETECTION_KEYS if key in prediction_dict}
      else:
        detections = self._stages.postprocessor(
            prediction_dict[REFINED_BOX_ENCODINGS],
            prediction_dict[CLASS_PREDICTIONS],
            prediction_dict[PROPOSAL_BOXES], prediction_dict[NUM_PROPOSALS],
            prediction_dict[IMAGE_SHAPE], true_image_shapes)
      if MASK_PREDICTIONS in prediction_dict and not self._is_training:
        detections[_Detections.detection_masks] = self._detection_masks(
            prediction_dict[MASK_PREDICTIONS],
            detections[_Detections.detection_classes],
            detections[_Detections.num_detections])
      return detections

  def loss(self, prediction_dict: Dict[str, Any],
           true_image_shapes: tf.Tensor) -> Dict[str, tf.Tensor]:
    """RPN, box classifier and mask losses (named scalars)."""
    with tf.name_scope("Loss"):
      image_shape = prediction_dict[IMAGE_SHAPE]
      gt_boxes, gt_classes, gt_weights = self._groundtruth(true_image_shapes,
                                                           image_shape)
      losses_mask = self._losses_mask()
      padded_size = _padded_size(image_shape)
      losses = self._model_losses.rpn_loss(
          prediction_dict[RPN_BOX_ENCODINGS], prediction_dict[RPN_OBJECTNESS],
          prediction_dict[ANCHORS], [b * padded_size for b in gt_boxes],
          gt_weights, valid_anchors=prediction_dict.get(VALID_ANCHORS),
          losses_mask=losses_mask)
      if self._num_stages == 1:
        return losses
      targets = prediction_dict.get(SAMPLED_TARGETS)
      if targets is None:
        targets = self._model_losses.proposal_sampler(
            prediction_dict[PROPOSAL_BOXES], prediction_dict[NUM_PROPOSALS],
            gt_boxes, gt_classes, gt_weights, sample=False)
      losses.update(self._model_losses.box_classifier_loss(
          prediction_dict[REFINED_BOX_ENCODINGS],
          prediction_dict[CLASS_PREDICTIONS], targets, losses_mask))
      if MASK_PREDICTIONS in prediction_dict:
        losses[mask_loss_lib.MASK_LOSS_KEY] = self._mask_loss(
            prediction_dict, targets, gt_boxes, gt_classes, gt_weights,
            image_shape, true_image_shapes, losses_mask)
      return losses

  def regularization_losses(self) -> List[tf.Tensor]:
    """Kernel regularisation losses of every Keras part."""
    return list(self.losses)

  def restore_from_objects(self, fine_tune_checkpoint_type: str = "detection"
                           ) -> Dict[str, Any]:
    """Objects to restore from a checkpoint of the given type.

    'classification': {'feature_extractor': the backbone};
    'detection': {'model': the two feature extractor models};
    'full': {'model': this model}.

    Raises:
      ValueError: for any other type.
    """
    if fine_tune_checkpoint_type == "classification":
      return self._feature_extractor.restore_from_classification_checkpoint_fn(
          self.first_stage_feature_extractor_scope,
          self.second_stage_feature_extractor_scope)
    if fine_tune_checkpoint_type == "detection":
      parts = {"_feature_extractor_for_proposal_features":
                   self._feature_extractor_for_proposal_features}
      if self._feature_extractor_for_box_classifier_features is not None:
        parts["_feature_extractor_for_box_classifier_features"] = (
            self._feature_extractor_for_box_classifier_features)
      return {"model": tf.train.Checkpoint(**parts)}
    if fine_tune_checkpoint_type == "full":
      return {"model": self}
    raise ValueError(
        "Not supported fine_tune_checkpoint_type: {!r}; expected "
        "'classification', 'detection' or 'full'".format(
            fine_tune_checkpoint_type))

  def updates(self) -> List[Any]:
    """Batch norm updates happen inside the Keras layers: always []."""
    return []

  # --------------------------------------------------------------- stages

  def _extract_features(self, images: tf.Tensor) -> List[tf.Tensor]:
    """Backbone (+ FPN): list of float32 [batch, h_l, w_l, depth]."""
    maps = self._feature_extractor_for_proposal_features(
        images, training=self._is_training)
    return list(maps) if isinstance(maps, (list, tuple)) else [maps]

  def _rpn(self, feature_maps: Sequence[tf.Tensor]
           ) -> Tuple[tf.Tensor, tf.Tensor]:
    """RPN codes [batch, num_anchors, 4] and logits [batch, A, 2]."""
    outputs = self._first_stage_box_predictor(feature_maps,
                                              training=self._is_training)
    return (outputs[box_predictor_lib.BOX_ENCODINGS],
            outputs[box_predictor_lib.CLASS_PREDICTIONS_WITH_BACKGROUND])

  def _anchors(self, feature_maps: Sequence[tf.Tensor], image_shape: tf.Tensor,
               static_image_hw: tf.TensorShape
               ) -> Tuple[tf.Tensor, Optional[tf.Tensor]]:
    """Absolute anchors [num_anchors, 4] and, if needed, validity [A].

    With static shapes the anchors are computed once, eagerly, and reused
    as constants by every trace.
    """
    static = [tuple(f.shape[1:3]) for f in feature_maps]
    if (all(None not in s for s in static)
        and static_image_hw.is_fully_defined()):
      key = (tuple(static), tuple(int(v) for v in static_image_hw))
      if key not in self._anchor_cache:
        with tf.init_scope():
          self._anchor_cache[key] = self._make_anchors(
              [list(s) for s in static], key[1])
      return self._anchor_cache[key]
    shapes = [tf.shape(f)[1:3] for f in feature_maps]
    return self._make_anchors(shapes, image_shape[1:3])

  def _make_anchors(self, shapes, image_hw
                    ) -> Tuple[tf.Tensor, Optional[tf.Tensor]]:
    return make_anchors(self._anchor_generator, shapes, image_hw,
                        self._is_training,
                        self._stages.clip_anchors_to_image)

  def _propose(self, box_encodings, objectness, anchors, valid_anchors,
               image_shape, true_image_shapes):
    """Proposals [batch, P, 4] (normalised), scores [batch, P], count."""
    boxes, scores, num = self._stages.proposal_generator(
        box_encodings, objectness, anchors, image_shape, true_image_shapes,
        valid_anchors)
    if self._is_training:
      boxes = tf.stop_gradient(boxes)
    return boxes, scores, num

  def _sample_proposals(self, proposals, num_proposals, true_image_shapes,
                        image_shape) -> proposal_sampler_lib.SampledProposals:
    """Training ROIs with their targets (positives first)."""
    gt_boxes, gt_classes, gt_weights = self._groundtruth(true_image_shapes,
                                                         image_shape)
    return self._model_losses.proposal_sampler(
        proposals, num_proposals, gt_boxes, gt_classes, gt_weights,
        sample=self._model_losses.sample_proposals)

  def _crop_rois(self, feature_maps, rois, image_shape) -> tf.Tensor:
    """float32 [batch, R, crop, crop, depth] ROI crops."""
    return self._stages.roi_extractor(feature_maps, rois, image_shape)

  def _box_classifier_features(self, roi_crops: tf.Tensor) -> tf.Tensor:
    """Max pool + second-stage extractor: [batch, R, h, w, d]."""
    batch, num_rois = shape_utils.combined_static_and_dynamic_shape(
        roi_crops)[:2]
    flat = _merge_batch(roi_crops)
    pooled = roi_ops.max_pool_crops(flat, self._stages.maxpool_kernel_size,
                                    self._stages.maxpool_stride)
    features = self._feature_extractor_for_box_classifier_features(
        pooled, training=self._is_training)
    return tf.reshape(features,
                      [batch, num_rois] + features.shape[1:].as_list())

  def _classify_boxes(self, box_features: tf.Tensor
                      ) -> Tuple[tf.Tensor, tf.Tensor]:
    """Refined codes [batch, R, q, 4] and class logits [batch, R, K+1]."""
    batch, num_rois = shape_utils.combined_static_and_dynamic_shape(
        box_features)[:2]
    outputs = self._mask_rcnn_box_predictor(
        [_merge_batch(box_features)], prediction_stage=2,
        training=self._is_training)
    encodings = outputs[box_predictor_lib.BOX_ENCODINGS]  # [N, 1, q, 4]
    logits = outputs[box_predictor_lib.CLASS_PREDICTIONS_WITH_BACKGROUND]
    return (tf.reshape(encodings,
                       [batch, num_rois] + encodings.shape[2:].as_list()),
            tf.reshape(logits, [batch, num_rois, self.num_classes + 1]))

  def _predict_masks(self, roi_crops: tf.Tensor,
                     box_features: tf.Tensor) -> tf.Tensor:
    """Mask logits [batch, R, q_mask, mask_height, mask_width]."""
    inputs = roi_crops if self._masks_from_roi_crops else box_features
    batch, num_rois = shape_utils.combined_static_and_dynamic_shape(
        inputs)[:2]
    logits = self._mask_rcnn_box_predictor(
        [_merge_batch(inputs)], prediction_stage=3,
        training=self._is_training)[box_predictor_lib.MASK_PREDICTIONS]
    # [N, 1, q_mask, mask_height, mask_width] -> [batch, R, q_mask, ...]
    return tf.reshape(logits, [batch, num_rois] + logits.shape[2:].as_list())

  def _num_mask_slots(self, targets) -> tf.Tensor:
    """Training: the mask head runs on the first num_slots ROIs per image.

    Positives come first, so the largest number of positives in the batch
    (at least 1) covers them all; padding slots beyond it are skipped, which
    keeps the cost proportional to the real positives. Without sampling
    (hard example mining) positives are not sorted: every ROI is used.
    """
    if not self._model_losses.sample_proposals:
      return tf.shape(targets.is_positive)[1]
    num_positives = tf.reduce_sum(tf.cast(targets.is_positive, tf.int32),
                                  axis=1)
    return tf.maximum(tf.reduce_max(num_positives), 1)

  def _detect_with_masks(self, predictions, feature_maps, image_shape,
                         true_image_shapes) -> Dict[str, tf.Tensor]:
    """Inference: detections, then the mask head on the detected boxes."""
    detections = self._stages.postprocessor(
        predictions[REFINED_BOX_ENCODINGS], predictions[CLASS_PREDICTIONS],
        predictions[PROPOSAL_BOXES], predictions[NUM_PROPOSALS], image_shape,
        true_image_shapes)
    # Detections are normalised to the true image; crops need the padded
    # frame.
    scale = tf.tile(tf.cast(true_image_shapes[:, tf.newaxis, :2], tf.float32)
                    / tf.cast(image_shape[1:3], tf.float32), [1, 1, 2])
    boxes = detections[_Detections.detection_boxes] * scale
    crops = self._crop_rois(feature_maps, boxes, image_shape)
    box_features = (None if self._masks_from_roi_crops
                    else self._box_classifier_features(crops))
    detections[MASK_PREDICTIONS] = self._predict_masks(crops, box_features)
    return detections

  def _detection_masks(self, mask_logits, classes, num_detections):
    """Probabilities [batch, D, mask_h, mask_w] of each detection's class."""
    masks = tf.sigmoid(mask_loss_lib.select_class_masks(
        mask_logits, tf.cast(classes, tf.int32)))
    valid = (tf.range(tf.shape(masks)[1])[tf.newaxis, :]
             < tf.cast(num_detections, tf.int32)[:, tf.newaxis])
    return tf.where(valid[:, :, tf.newaxis, tf.newaxis], masks,
                    tf.zeros_like(masks))

  def _proposals_as_detections(self, prediction_dict, true_image_shapes):
    """One-stage output: proposals re-normalised to the true image."""
    image_shape = prediction_dict[IMAGE_SHAPE]
    scale = tf.tile(tf.cast(image_shape[1:3], tf.float32)[tf.newaxis,
                                                          tf.newaxis]
                    / tf.cast(true_image_shapes[:, tf.newaxis, :2],
                              tf.float32), [1, 1, 2])
    boxes = tf.clip_by_value(prediction_dict[PROPOSAL_BOXES] * scale, 0., 1.)
    num = prediction_dict[NUM_PROPOSALS]
    valid = tf.range(tf.shape(boxes)[1])[tf.newaxis, :] < num[:, tf.newaxis]
    scores = prediction_dict[PROPOSAL_SCORES]
    return {
        _Detections.detection_boxes: tf.where(valid[:, :, tf.newaxis], boxes,
                                              0.0),
        _Detections.detection_scores: tf.where(valid, scores, 0.0),
        _Detections.detection_classes: tf.zeros_like(scores),
        _Detections.num_detections: tf.cast(num, tf.float32),
    }

  # -------------------------------------------------------------- targets

  def _groundtruth(self, true_image_shapes, image_shape):
    """Groundtruth boxes normalised to the PADDED input, classes, weights."""
    boxes_list = self.groundtruth_lists(_BoxList.boxes)
    classes_list = [tf.cast(c, tf.float32)
                    for c in self.groundtruth_lists(_BoxList.classes)]
    if self.groundtruth_has_field(_BoxList.weights):
      weights_list = [tf.cast(w, tf.float32)
                      for w in self.groundtruth_lists(_BoxList.weights)]
    else:
      weights_list = [tf.ones(tf.shape(c)[:1]) for c in classes_list]
    padded = _padded_size(image_shape)
    true_sizes = tf.cast(tf.tile(true_image_shapes[:, :2], [1, 2]),
                         tf.float32)
    boxes_list = [tf.cast(boxes, tf.float32) * true_sizes[i] / padded
                  for i, boxes in enumerate(boxes_list)]
    return boxes_list, classes_list, weights_list

  def _losses_mask(self) -> Optional[tf.Tensor]:
    if self.groundtruth_has_field(fields.InputDataFields.is_annotated):
      return tf.stack(self.groundtruth_lists(
          fields.InputDataFields.is_annotated))
    return None

  def _mask_loss(self, prediction_dict, targets, gt_boxes, gt_classes,
                 gt_weights, image_shape, true_image_shapes, losses_mask):
    """Mask loss on training positives or inference detections."""
    masks_list = [tf.cast(m, tf.float32)
                  for m in self.groundtruth_lists(_BoxList.masks)]
    if self._stages.resize_masks:
      masks_list = [self._resize_masks(m) for m in masks_list]
    mask_logits = prediction_dict[MASK_PREDICTIONS]
    if not self._is_training:
      # Masks were predicted for the detections: match those instead.
      scale = tf.tile(tf.cast(true_image_shapes[:, tf.newaxis, :2],
                              tf.float32) / _padded_size(image_shape)[:2],
                      [1, 1, 2])
      targets = self._model_losses.proposal_sampler(
          prediction_dict[_Detections.detection_boxes] * scale,
          tf.cast(prediction_dict[_Detections.num_detections], tf.int32),
          gt_boxes, gt_classes, gt_weights, sample=False)
    num_slots = tf.shape(mask_logits)[1]
    class_indices = tf.maximum(tf.argmax(
        targets.class_targets[:, :num_slots], axis=2,
        output_type=tf.int32) - 1, 0)
    mask_targets = mask_loss_lib.crop_mask_targets(
        masks_list, targets.boxes[:, :num_slots],
        targets.matched_gt_indices[:, :num_slots], image_shape,
        mask_logits.shape[3:5].as_list())
    weights = tf.cast(targets.is_positive[:, :num_slots], tf.float32)
    return self._model_losses.mask_loss(mask_logits, class_indices,
                                        mask_targets, weights, losses_mask)

  def _resize_masks(self, masks: tf.Tensor) -> tf.Tensor:
    """Resizes [num, h, w] masks like their image (image resizer)."""
    dummy = tf.zeros(tf.stack([tf.shape(masks)[1], tf.shape(masks)[2], 1]))
    return self._image_resizer_fn(dummy, masks=masks)[1]


_DETECTION_KEYS = (
    _Detections.detection_boxes, _Detections.detection_scores,
    _Detections.detection_classes, _Detections.num_detections,
    _Detections.detection_multiclass_scores,
    _Detections.detection_anchor_indices, _Detections.raw_detection_boxes,
    _Detections.raw_detection_scores)


def generate_anchors(anchor_generator, shapes, image_hw) -> List:
  """The generator's BoxLists (one per feature map) for a padded input."""
  if isinstance(anchor_generator, multiscale.MultiscaleGridAnchorGenerator):
    # Its anchor offsets depend on the image size.
    return anchor_generator.generate(shapes, im_height=image_hw[0],
                                     im_width=image_hw[1])
  return anchor_generator.generate(shapes)


def make_anchors(anchor_generator, shapes, image_hw, is_training: bool,
                 clip_anchors_to_image: bool
                 ) -> Tuple[tf.Tensor, Optional[tf.Tensor]]:
  """The first stage's absolute anchors [A, 4] and, if needed, validity [A].

  The policy the model applies (and anchor analysis reproduces): at
  inference, and in training with clip_anchors_to_image, anchors are
  clipped to the image; otherwise in training the anchors crossing its
  border are marked invalid (the TF OD API removes them).

  Args:
    anchor_generator: the first-stage AnchorGenerator.
    shapes: (height, width) of each feature map.
    image_hw: (height, width) of the padded input image.
    is_training: the model's mode.
    clip_anchors_to_image: the model config's field.
  """
  anchors = box_list_ops.concatenate(
      generate_anchors(anchor_generator, shapes, image_hw)).get()
  height = tf.cast(image_hw[0], tf.float32)
  width = tf.cast(image_hw[1], tf.float32)
  window = tf.stack([0.0, 0.0, height, width])
  if is_training and not clip_anchors_to_image:
    inside = tf.logical_and(
        tf.reduce_all(anchors[:, :2] >= 0, axis=1),
        tf.logical_and(anchors[:, 2] <= height, anchors[:, 3] <= width))
    return anchors, inside
  lower = tf.concat([window[:2], window[:2]], 0)
  upper = tf.concat([window[2:], window[2:]], 0)
  return tf.minimum(tf.maximum(anchors, lower), upper), None


def _padded_size(image_shape: tf.Tensor) -> tf.Tensor:
  """float32 [4] (height, width, height, width) of the padded input."""
  return tf.cast(tf.stack([image_shape[1], image_shape[2]] * 2), tf.float32)


def _merge_batch(tensor: tf.Tensor) -> tf.Tensor:
  """[batch, R, ...] -> [batch * R, ...] keeping static trailing dims."""
  shape = shape_utils.combined_static_and_dynamic_shape(tensor)
  return tf.reshape(tensor, [-1] + shape[2:])
