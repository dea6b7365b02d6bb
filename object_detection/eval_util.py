"""Evaluation helpers: the TF OD API's `eval_util` for the eager eval loop.

    evaluators = eval_util.get_evaluators(
        eval_config, categories,
        eval_util.evaluator_options_from_eval_config(eval_config))
    result = eval_util.evaluate(model, eval_dataset, evaluators,
                                num_visualizations=2)
    result.metrics["DetectionBoxes_Precision/mAP"]

`dataset` yields the (features, labels) batches of `inputs.eval_input`
(layout in the inputs module docstring). Conventions of the per-image dicts
given to the COCO evaluators (and of the visualizations): boxes are
absolute pixel [ymin, xmin, ymax, xmax] of the ORIGINAL image
(`original_image_spatial_shape`), classes are 1-based label map ids, masks
are uint8 0/1 [num, height, width] at the original image's size. The model
works at its input size: groundtruth boxes and detections are normalised
to the true (unpadded) image, which covers the whole original image, so
scaling by the original size converts them.
"""

import dataclasses
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from object_detection import inputs
from object_detection.core import model as model_lib
from object_detection.core import standard_fields as fields
from object_detection.metrics import coco_evaluation
from object_detection.utils import ops

_In = fields.InputDataFields
_Det = fields.DetectionResultFields

# metrics_set name -> evaluator class (the TF OD API's names).
EVAL_METRICS_CLASS_DICT = {
    "coco_detection_metrics": coco_evaluation.CocoDetectionEvaluator,
    "coco_mask_metrics": coco_evaluation.CocoMaskEvaluator,
}
EVAL_DEFAULT_METRIC = "coco_detection_metrics"
BOX_PRIMARY_METRIC = "DetectionBoxes_Precision/mAP"
MASK_PRIMARY_METRIC = "DetectionMasks_Precision/mAP"
TOTAL_LOSS_KEY = "Loss/total_loss"
REGULARIZATION_LOSS_KEY = "Loss/regularization_loss"
# Detection classes leave the model 0-based; label map ids are 1-based.
LABEL_ID_OFFSET = 1
MASK_THRESHOLD = 0.5

_DETECTION_KEYS = (_Det.detection_boxes, _Det.detection_scores,
                   _Det.detection_classes, _Det.num_detections,
                   _Det.detection_masks)
# An eval_pb2.EvalConfig message (only builders import the *_pb2 modules).
EvalConfig = Any
ImageDicts = Tuple[str, Dict[str, np.ndarray], Dict[str, np.ndarray]]
BatchFn = Callable[[Dict[str, tf.Tensor], Dict[str, tf.Tensor]],
                   Tuple[Dict[str, tf.Tensor], Dict[str, tf.Tensor]]]


@dataclasses.dataclass
class EvalResult:
  """What one pass of `evaluate` over a dataset gives.

  Attributes:
    metrics: COCO metrics of every evaluator, plus each evaluation loss
      under the model's name ('Loss/RPNLoss/localization_loss', ...),
      'Loss/regularization_loss' when the model has any and
      'Loss/total_loss' (their sum), each averaged over batches.
    num_images: number of images evaluated.
    visualizations: one dict per image for the first `num_visualizations`
      images: 'image' uint8 [H, W, 3] at the original size, 'key' (the
      image id) and the groundtruth and detection arrays of the module
      docstring.
  """
  metrics: Dict[str, float]
  num_images: int
  visualizations: List[Dict[str, Any]] = dataclasses.field(
      default_factory=list)


def _metrics_set(eval_config: EvalConfig) -> List[str]:
  """metrics_set names, checked, in order, each once (default if empty)."""
  names = list(eval_config.metrics_set) or [EVAL_DEFAULT_METRIC]
  for index, name in enumerate(names):
    if name not in EVAL_METRICS_CLASS_DICT:
      raise ValueError(
          "eval_config.metrics_set[%d]: %r is not supported; supported: %s"
          % (index, name, ", ".join(
              repr(key) for key in EVAL_METRICS_CLASS_DICT)))
  return list(dict.fromkeys(names))


def evaluator_options_from_eval_config(eval_config: EvalConfig
                                       ) -> Dict[str, Dict[str, Any]]:
  """Evaluator keyword arguments for each metrics_set name.

  Args:
    eval_config: an eval_pb2.EvalConfig.

  Returns:
    {metric name: {'include_metrics_per_category': bool,
    'all_metrics_per_category': bool}} for the COCO names of
    eval_config.metrics_set, or of the default 'coco_detection_metrics'
    when it is empty (unknown names are left to get_evaluators).
  """
  names = list(eval_config.metrics_set) or [EVAL_DEFAULT_METRIC]
  return {
      name: {"include_metrics_per_category":
                 eval_config.include_metrics_per_category,
             "all_metrics_per_category": eval_config.all_metrics_per_category}
      for name in names if name in EVAL_METRICS_CLASS_DICT}


def get_evaluators(eval_config: EvalConfig,
                   categories: Sequence[Dict[str, Any]],
                   evaluator_options: Optional[Dict[str, Dict[str, Any]]]
                   = None) -> List[Any]:
  """One evaluator per eval_config.metrics_set name.

  Args:
    eval_config: an eval_pb2.EvalConfig; an empty metrics_set means
      'coco_detection_metrics'; a repeated name gives one evaluator.
    categories: [{'id': int, 'name': str}], e.g. from
      label_map_util.create_categories_from_labelmap.
    evaluator_options: optional {metric name: constructor kwargs}.

  Returns:
    list of CocoDetectionEvaluator / CocoMaskEvaluator, in metrics_set
    order.

  Raises:
    ValueError: for an unsupported metrics_set name (named with its index)
      or bad categories.
  """
  evaluator_options = evaluator_options or {}
  return [EVAL_METRICS_CLASS_DICT[name](categories,
                                        **evaluator_options.get(name, {}))
          for name in _metrics_set(eval_config)]


def primary_metric(eval_config_or_evaluators: Any) -> str:
  """The metric that ranks checkpoints: mask mAP if masks are evaluated.

  Args:
    eval_config_or_evaluators: an eval_pb2.EvalConfig or a list of
      evaluators (from get_evaluators).

  Returns:
    'DetectionMasks_Precision/mAP' or 'DetectionBoxes_Precision/mAP'.

  Raises:
    ValueError: for an EvalConfig with an unsupported metrics_set name.
  """
  if hasattr(eval_config_or_evaluators, "metrics_set"):
    with_masks = "coco_mask_metrics" in _metrics_set(
        eval_config_or_evaluators)
  else:
    with_masks = any(isinstance(e, coco_evaluation.CocoMaskEvaluator)
                     for e in eval_config_or_evaluators)
  return MASK_PRIMARY_METRIC if with_masks else BOX_PRIMARY_METRIC


def _provide_groundtruth(detection_model: model_lib.DetectionModel,
                         labels: Dict[str, tf.Tensor]) -> None:
  """Gives the model each image's valid (unpadded) groundtruth rows."""
  batch_size = labels[_In.groundtruth_boxes].shape[0]
  if batch_size is None:
    raise ValueError("evaluate: labels need a static batch size, got shape %s"
                     % labels[_In.groundtruth_boxes].shape)
  counts = labels[_In.num_groundtruth_boxes]

  def unpad(key):
    return [labels[key][i, :counts[i]] for i in range(batch_size)]

  masks = (unpad(_In.groundtruth_instance_masks)
           if _In.groundtruth_instance_masks in labels else None)
  detection_model.provide_groundtruth(
      groundtruth_boxes_list=unpad(_In.groundtruth_boxes),
      groundtruth_classes_list=unpad(_In.groundtruth_classes),
      groundtruth_masks_list=masks,
      groundtruth_weights_list=unpad(_In.groundtruth_weights))


def make_eval_step(detection_model: model_lib.DetectionModel) -> BatchFn:
  """The default per-batch step of `evaluate`, a tf.function.

  Build it once and pass it as `evaluate(..., batch_fn=step)` to evaluate
  the same model repeatedly without retracing.

  Args:
    detection_model: a DetectionModel (core/model.py).

  Returns:
    step(features, labels) -> (detections, losses): detections holds the
    DetectionResultFields the evaluation needs (boxes, scores, classes,
    num_detections, masks if predicted); losses the model's scalar losses,
    'Loss/regularization_loss' when there are regularization losses and
    'Loss/total_loss'.
  """

  @tf.function
  def step(features, labels):
    _provide_groundtruth(detection_model, labels)
    true_image_shapes = features[_In.true_image_shape]
    prediction_dict = detection_model.predict(features[_In.image],
                                              true_image_shapes)
    losses = dict(detection_model.loss(prediction_dict, true_image_shapes))
    regularization = detection_model.regularization_losses()
    if regularization:
      losses[REGULARIZATION_LOSS_KEY] = tf.add_n(regularization)
    losses[TOTAL_LOSS_KEY] = tf.add_n(list(losses.values()))
    detections = detection_model.postprocess(prediction_dict,
                                             true_image_shapes)
    return ({key: detections[key] for key in _DETECTION_KEYS
             if key in detections}, losses)

  return step


def _image_id(features: Dict[str, np.ndarray], i: int, index: int) -> str:
  """'<index>:<source_id or hash>', unique over one evaluation."""
  if _In.source_id in features:
    name = features[_In.source_id][i]
    name = name.decode("utf-8", "replace") if isinstance(name, bytes) else (
        str(name))
  else:
    name = str(int(features[inputs.HASH_KEY][i]))
  return "%d:%s" % (index, name)


def _resize(array: np.ndarray, size: Sequence[int], method: str
            ) -> np.ndarray:
  """float32 [..., size[0], size[1], c] resize of a [..., h, w, c] array."""
  return tf.image.resize(array, size, method=method).numpy()


def _groundtruth_dict(labels: Dict[str, np.ndarray], i: int,
                      true_shape: np.ndarray, original_shape: np.ndarray
                      ) -> Dict[str, np.ndarray]:
  """Groundtruth of image i in original-image pixels (module docstring)."""
  count = int(labels[_In.num_groundtruth_boxes][i])
  height, width = int(original_shape[0]), int(original_shape[1])
  boxes = labels[_In.groundtruth_boxes][i, :count].astype(np.float32)
  result = {
      _In.groundtruth_boxes: boxes * np.array([height, width] * 2,
                                              np.float32),
      _In.groundtruth_classes: np.argmax(
          labels[_In.groundtruth_classes][i, :count], axis=1
      ).astype(np.int32) + LABEL_ID_OFFSET,
  }
  if _In.groundtruth_is_crowd in labels:
    result[_In.groundtruth_is_crowd] = labels[_In.groundtruth_is_crowd][
        i, :count].astype(bool)
  if _In.groundtruth_area in labels:
    area = labels[_In.groundtruth_area][i, :count].astype(np.float32)
    # Records without areas give zeros: let the evaluator use box areas.
    if np.all(area > 0):
      result[_In.groundtruth_area] = area
  if _In.groundtruth_instance_masks in labels:
    masks = labels[_In.groundtruth_instance_masks][
        i, :count, :int(true_shape[0]), :int(true_shape[1])]
    masks = _resize(masks[..., np.newaxis].astype(np.float32),
                    [height, width], "nearest")[..., 0]
    result[_In.groundtruth_instance_masks] = (masks > 0.5).astype(np.uint8)
  return result


def _detections_dict(detections: Dict[str, np.ndarray], i: int,
                     original_shape: np.ndarray) -> Dict[str, np.ndarray]:
  """The valid detections of image i in original-image pixels."""
  count = int(detections[_Det.num_detections][i])
  height, width = int(original_shape[0]), int(original_shape[1])
  boxes = detections[_Det.detection_boxes][i, :count].astype(np.float32)
  result = {
      _Det.detection_boxes: boxes * np.array([height, width] * 2,
                                             np.float32),
      _Det.detection_scores: detections[_Det.detection_scores][
          i, :count].astype(np.float32),
      _Det.detection_classes: np.round(
          detections[_Det.detection_classes][i, :count]).astype(np.int32)
                              + LABEL_ID_OFFSET,
  }
  if _Det.detection_masks in detections:
    masks = ops.reframe_box_masks_to_image_masks(
        tf.constant(detections[_Det.detection_masks][i, :count], tf.float32),
        tf.constant(boxes), height, width).numpy()
    result[_Det.detection_masks] = (masks > MASK_THRESHOLD).astype(np.uint8)
  return result


def batch_to_eval_dicts(features: Dict[str, Any], labels: Dict[str, Any],
                        detections: Dict[str, Any], first_index: int = 0
                        ) -> List[ImageDicts]:
  """Per-image evaluator inputs from one batch.

  Args:
    features: the batch's features (tensors or numpy): true_image_shape
      int32 [B, 3], original_image_spatial_shape int32 [B, 2], and
      source_id string [B] or hash int32 [B].
    labels: the batch's labels: num_groundtruth_boxes int32 [B],
      groundtruth_boxes float32 [B, M, 4] normalised to the true image,
      groundtruth_classes float32 [B, M, C] one-hot; optional
      groundtruth_instance_masks float32 [B, M, H, W] in the model input's
      frame, groundtruth_is_crowd bool [B, M], groundtruth_area float32
      [B, M] (used only when every valid area is > 0).
    detections: the model's postprocess outputs: detection_boxes float32
      [B, D, 4] normalised to the true image, detection_scores [B, D],
      detection_classes [B, D] 0-based, num_detections [B]; optional
      detection_masks float32 [B, D, mh, mw] box-relative probabilities.
    first_index: running index of the batch's first image in the
      evaluation, part of each image id.

  Returns:
    one (image_id, groundtruth_dict, detections_dict) per image: image_id
    '<index>:<source_id or hash>'; the dicts as the module docstring says,
    keyed by standard field names, ready for the evaluators' add_single_*
    methods.
  """
  to_numpy = lambda d: {k: np.asarray(v) for k, v in d.items()}
  features, labels = to_numpy(features), to_numpy(labels)
  detections = to_numpy(detections)
  results = []
  for i in range(features[_In.true_image_shape].shape[0]):
    original_shape = features[_In.original_image_spatial_shape][i]
    results.append((
        _image_id(features, i, first_index + i),
        _groundtruth_dict(labels, i, features[_In.true_image_shape][i],
                          original_shape),
        _detections_dict(detections, i, original_shape)))
  return results


def _visualization(features: Dict[str, np.ndarray], i: int,
                   image_dicts: ImageDicts) -> Dict[str, Any]:
  """The original-size image of image i with its groundtruth/detections."""
  if _In.original_image not in features:
    raise ValueError("evaluate: num_visualizations > 0 needs features[%r] "
                     "(eval_config.retain_original_images: true)"
                     % _In.original_image)
  true_shape = features[_In.true_image_shape][i]
  image = features[_In.original_image][i, :int(true_shape[0]),
                                       :int(true_shape[1])]
  original_shape = features[_In.original_image_spatial_shape][i]
  image = _resize(image.astype(np.float32),
                  [int(original_shape[0]), int(original_shape[1])],
                  "bilinear")
  image_id, groundtruth, detections = image_dicts
  return dict(groundtruth, **detections, **{
      _In.image: np.clip(np.round(image), 0, 255).astype(np.uint8),
      _In.key: image_id})


def _add_to_evaluators(evaluators: Sequence[Any],
                       batch: Sequence[ImageDicts]) -> None:
  for image_id, groundtruth, detections in batch:
    for evaluator in evaluators:
      evaluator.add_single_ground_truth_image_info(image_id, groundtruth)
      evaluator.add_single_detected_image_info(image_id, detections)


def evaluate(detection_model: Optional[model_lib.DetectionModel],
             dataset: tf.data.Dataset, evaluators: Sequence[Any],
             num_visualizations: int = 0, max_batches: Optional[int] = None,
             batch_fn: Optional[BatchFn] = None) -> EvalResult:
  """Runs the model over the dataset once and computes the metrics.

  Args:
    detection_model: a DetectionModel (is_training=False for inference
      behaviour), used as it is; may be None with batch_fn.
    dataset: batches of (features, labels) from inputs.eval_input.
    evaluators: from get_evaluators; cleared first, then fed every image.
    num_visualizations: how many images (the first ones) to return in
      EvalResult.visualizations.
    max_batches: stop after this many batches (None: the whole dataset).
    batch_fn: optional step(features, labels) -> (detections, losses)
      replacing make_eval_step(detection_model), e.g. one built once and
      reused, or one run under a tf.distribute strategy that returns
      per-batch tensors.

  Returns:
    an EvalResult.

  Raises:
    ValueError: if max_batches < 1, the dataset yields no batch, or
      visualizations are asked for without features['original_image'].
  """
  if max_batches is not None and max_batches < 1:
    raise ValueError("evaluate: max_batches must be None or >= 1, got %r"
                     % (max_batches,))
  step = batch_fn or make_eval_step(detection_model)
  for evaluator in evaluators:
    evaluator.clear()
  loss_sums, visualizations = {}, []
  num_batches = num_images = 0
  for features, labels in dataset:
    detections, losses = step(features, labels)
    for key, value in losses.items():
      loss_sums[key] = loss_sums.get(key, 0.0) + float(value)
    features = {key: np.asarray(value) for key, value in features.items()}
    batch = batch_to_eval_dicts(features, labels, detections,
                                first_index=num_images)
    _add_to_evaluators(evaluators, batch)
    visualizations.extend(
        _visualization(features, i, image_dicts) for i, image_dicts in
        enumerate(batch[:max(0, num_visualizations - len(visualizations))]))
    num_images += len(batch)
    num_batches += 1
    if num_batches == max_batches:
      break
  if not num_batches:
    raise ValueError("evaluate: the dataset yielded no batch")
  metrics = {}
  for evaluator in evaluators:
    metrics.update(evaluator.evaluate())
  metrics.update({key: total / num_batches
                  for key, total in loss_sums.items()})
  return EvalResult(metrics=metrics, num_images=num_images,
                    visualizations=visualizations)
