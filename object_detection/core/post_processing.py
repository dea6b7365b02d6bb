"""Multi-class non-maximum suppression for detection outputs.

Boxes are [ymin, xmin, ymax, xmax]; scores are per class (0-based class
index = position in the last dimension of `scores`, background excluded by
the caller). NMS runs independently for every (image, class) pair: all
pairs are flattened into one `tf.map_fn` over the C++ NonMaxSuppressionV5
kernel (padded to max_size_per_class), so the graph does not grow with the
number of classes and there is no Python loop over classes or boxes. The
survivors of all classes are then clipped, ranked by score with one
`top_k` per image and gathered together with masks and extra fields.

Semantics follow the TF Object Detection API: a box is a candidate when its
score is strictly greater than score_thresh; within a class a box is
suppressed when its IoU with a kept box is strictly greater than
iou_thresh; boxes are clipped to clip_window after NMS, and boxes left with
zero area are dropped; outputs are sorted by decreasing score and padded
with zeros up to max_total_size.
"""

from typing import Dict, Optional, Tuple

import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import standard_fields as fields
from object_detection.utils import shape_utils

_NEG_INF = float("-inf")


def _validate(boxes: tf.Tensor, scores: tf.Tensor, iou_thresh: float,
              max_size_per_class: int) -> int:
  """Checks ranks and sizes; returns q, the static boxes-per-anchor."""
  if boxes.shape.rank != 4 or boxes.shape[3] != 4:
    raise ValueError(
        "batch_multiclass_non_max_suppression: boxes must have shape "
        "[batch, num_boxes, q, 4], got {}".format(boxes.shape))
  if scores.shape.rank != 3:
    raise ValueError(
        "batch_multiclass_non_max_suppression: scores must have shape "
        "[batch, num_boxes, num_classes], got {}".format(scores.shape))
  q = boxes.shape[2]
  num_classes = scores.shape[2]
  if q is None:
    raise ValueError(
        "batch_multiclass_non_max_suppression: the third dimension (q) of "
        "boxes must be static")
  if q != 1 and num_classes is not None and q != num_classes:
    raise ValueError(
        "batch_multiclass_non_max_suppression: the third dimension of boxes "
        "({}) must be 1 or equal to the number of classes ({})".format(
            q, num_classes))
  if not 0.0 <= iou_thresh <= 1.0:
    raise ValueError(
        "batch_multiclass_non_max_suppression: iou_thresh must be in [0, 1], "
        "got {}".format(iou_thresh))
  if not (isinstance(max_size_per_class, int) and max_size_per_class > 0):
    raise ValueError(
        "batch_multiclass_non_max_suppression: max_size_per_class must be a "
        "positive int, got {!r}".format(max_size_per_class))
  return q


def _per_class_nms(boxes: tf.Tensor, scores: tf.Tensor, score_thresh: float,
                   iou_thresh: float, max_size_per_class: int,
                   soft_nms_sigma: float, parallel_iterations: int
                   ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
  """NMS for every (image, class) problem.

  Args:
    boxes: float32 [P, N, 4], one box set per problem.
    scores: float32 [P, N].
    score_thresh, iou_thresh, max_size_per_class, soft_nms_sigma: NMS
      parameters.
    parallel_iterations: map_fn parallelism.

  Returns:
    indices int32 [P, K] into N, scores float32 [P, K] (soft-NMS updated),
    valid bool [P, K] (K = max_size_per_class).
  """
  def nms_one(args):
    problem_boxes, problem_scores = args
    indices, kept_scores, num_valid = tf.raw_ops.NonMaxSuppressionV5(
        boxes=problem_boxes, scores=problem_scores,
        max_output_size=max_size_per_class, iou_threshold=iou_thresh,
        score_threshold=score_thresh, soft_nms_sigma=soft_nms_sigma,
        pad_to_max_output_size=True)
    return indices, kept_scores, num_valid

  indices, kept_scores, num_valid = tf.map_fn(
      nms_one, (boxes, scores),
      fn_output_signature=(
          tf.TensorSpec([max_size_per_class], tf.int32),
          tf.TensorSpec([max_size_per_class], tf.float32),
          tf.TensorSpec([], tf.int32)),
      parallel_iterations=(None if tf.executing_eagerly()
                           else parallel_iterations))
  valid = tf.range(max_size_per_class)[tf.newaxis, :] < num_valid[:, None]
  return indices, kept_scores, valid


def _clip_and_reframe(boxes: tf.Tensor, valid: tf.Tensor,
                      clip_window: tf.Tensor, change_coordinate_frame: bool
                      ) -> Tuple[tf.Tensor, tf.Tensor]:
  """Clips [B, M, 4] boxes to per-image windows [B, 4].

  Returns the clipped (and optionally re-framed) boxes and `valid` with
  zero-area boxes removed.
  """
  window = clip_window[:, tf.newaxis, :]  # [B, 1, 4]
  lower = tf.concat([window[..., 0:2], window[..., 0:2]], axis=-1)
  upper = tf.concat([window[..., 2:4], window[..., 2:4]], axis=-1)
  boxes = tf.minimum(tf.maximum(boxes, lower), upper)
  area = ((boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1]))
  valid = tf.logical_and(valid, area > 0)
  if change_coordinate_frame:
    size = upper - lower
    boxes = (boxes - lower) / size
  return boxes, valid


def _class_agnostic_inputs(boxes: tf.Tensor, scores: tf.Tensor, q: int):
  """Reduces [B, N, q, 4] boxes / [B, N, C] scores to each box's best class.

  Returns boxes [B, N, 1, 4] (the best class's box when q > 1), scores
  [B, N, 1] and int32 [B, N] best classes.
  """
  best_classes = tf.argmax(scores, axis=2, output_type=tf.int32)
  if q > 1:
    boxes = tf.gather(boxes, best_classes, axis=2, batch_dims=2)
    boxes = boxes[:, :, tf.newaxis, :]
  return boxes, tf.reduce_max(scores, axis=2, keepdims=True), best_classes


def _zero_past_detections(values: tf.Tensor,
                          is_detection: tf.Tensor) -> tf.Tensor:
  """Zeroes [B, T, ...] values where is_detection ([B, T]) is False."""
  mask = tf.reshape(is_detection, tf.concat(
      [tf.shape(is_detection), [1] * (values.shape.rank - 2)], axis=0))
  return tf.where(mask, values, tf.zeros_like(values))


def _gather_extras(masks: Optional[tf.Tensor],
                   additional_fields: Optional[Dict[str, tf.Tensor]],
                   box_indices: tf.Tensor, class_indices: tf.Tensor,
                   is_detection: tf.Tensor):
  """Gathers masks [B, N, q, h, w] and fields [B, N, ...] of detections.

  Args:
    masks: optional masks; the slot is the detection's class when q > 1.
    additional_fields: optional dict of per-box tensors.
    box_indices: int32 [B, T] box index of each detection.
    class_indices: int32 [B, T] class of each detection.
    is_detection: bool [B, T], False for padding.

  Returns:
    masks [B, T, h, w] or None, and a dict of [B, T, ...] tensors or None.
  """
  nmsed_masks = None
  if masks is not None:
    masks = tf.convert_to_tensor(masks)
    slot = (class_indices if masks.shape[2] != 1
            else tf.zeros_like(class_indices))
    nmsed_masks = _zero_past_detections(
        tf.gather_nd(masks, tf.stack([box_indices, slot], axis=-1),
                     batch_dims=1), is_detection)
  nmsed_fields = None
  if additional_fields is not None:
    nmsed_fields = {
        name: _zero_past_detections(
            tf.gather(tf.convert_to_tensor(value), box_indices, batch_dims=1),
            is_detection)
        for name, value in additional_fields.items()}
  return nmsed_masks, nmsed_fields


def batch_multiclass_non_max_suppression(
    boxes: tf.Tensor,
    scores: tf.Tensor,
    score_thresh: float,
    iou_thresh: float,
    max_size_per_class: int,
    max_total_size: int = 0,
    clip_window: Optional[tf.Tensor] = None,
    change_coordinate_frame: bool = False,
    num_valid_boxes: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    additional_fields: Optional[Dict[str, tf.Tensor]] = None,
    soft_nms_sigma: float = 0.0,
    scope: Optional[str] = None,
    use_static_shapes: bool = False,
    use_partitioned_nms: bool = False,
    parallel_iterations: int = 32,
    use_class_agnostic_nms: bool = False,
    max_classes_per_detection: int = 1,
    use_dynamic_map_fn: bool = False,
    use_combined_nms: bool = False,
    use_hard_nms: bool = False,
    use_cpu_nms: bool = False,
    return_indices: bool = False):
  """Per-class NMS for a batch of images; outputs padded to max_total_size.

  Args:
    boxes: float32 [batch, num_boxes, q, 4]; q = 1 shares one box across
      classes, q = num_classes gives one box per class.
    scores: float32 [batch, num_boxes, num_classes].
    score_thresh: boxes with score <= score_thresh are dropped.
    iou_thresh: IoU above which a box is suppressed, in [0, 1].
    max_size_per_class: most boxes kept per class and image (> 0).
    max_total_size: most boxes kept per image; 0 means
      num_classes * max_size_per_class (num_classes must then be static).
    clip_window: optional float32 [4] or [batch, 4] window
      [ymin, xmin, ymax, xmax]; kept boxes are clipped to it and boxes with
      zero area after clipping are dropped.
    change_coordinate_frame: if True (and clip_window given), output boxes
      are expressed relative to the window (window -> [0, 0, 1, 1]).
    num_valid_boxes: optional int32 [batch]; boxes at index >=
      num_valid_boxes[i] of image i are ignored (padding).
    masks: optional float32 [batch, num_boxes, q, mask_height, mask_width].
    additional_fields: optional dict of [batch, num_boxes, ...] tensors,
      gathered like the boxes.
    soft_nms_sigma: > 0 enables soft-NMS (Bodla et al.) with this sigma;
      scores are then the decayed ones.
    scope: optional name scope.
    use_static_shapes: accepted for TF OD API compatibility; outputs always
      have static shapes [batch, max_total_size, ...] here.
    use_partitioned_nms, use_dynamic_map_fn, use_combined_nms,
      use_hard_nms, use_cpu_nms: accepted for compatibility; they select
      implementations in the TF OD API whose results this one matches.
    parallel_iterations: parallelism of the map over (image, class) pairs.
    use_class_agnostic_nms: if True, one NMS per image over each box's best
      class (max_classes_per_detection must be 1).
    max_classes_per_detection: must be 1.
    return_indices: if True, also return the index (into num_boxes) of each
      detection.

  Returns:
    nmsed_boxes: float32 [batch, max_total_size, 4].
    nmsed_scores: float32 [batch, max_total_size].
    nmsed_classes: float32 [batch, max_total_size], 0-based class index.
    nmsed_masks: float32 [batch, max_total_size, mask_height, mask_width],
      or None without masks.
    nmsed_additional_fields: dict of [batch, max_total_size, ...] tensors,
      or None without additional_fields.
    num_detections: int32 [batch], valid entries per image; entries past it
      are zeros.
    nmsed_indices: only with return_indices, int32 [batch, max_total_size].

  Raises:
    ValueError: on bad shapes or parameters.
  """
  del use_static_shapes, use_partitioned_nms, use_dynamic_map_fn
  del use_combined_nms, use_hard_nms, use_cpu_nms
  with tf.name_scope(scope or "BatchMultiClassNonMaxSuppression"):
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    scores = tf.convert_to_tensor(scores, tf.float32)
    q = _validate(boxes, scores, iou_thresh, max_size_per_class)
    batch, num_boxes, _, _ = shape_utils.combined_static_and_dynamic_shape(
        boxes)
    num_classes = shape_utils.combined_static_and_dynamic_shape(scores)[2]
    if max_classes_per_detection != 1:
      raise ValueError(
          "batch_multiclass_non_max_suppression: max_classes_per_detection "
          "must be 1, got {}".format(max_classes_per_detection))

    if num_valid_boxes is not None:
      is_valid_box = (tf.range(num_boxes)[tf.newaxis, :]
                      < tf.reshape(num_valid_boxes, [-1, 1]))
      scores = tf.where(is_valid_box[..., tf.newaxis], scores, _NEG_INF)

    agnostic_classes = None
    if use_class_agnostic_nms:
      boxes, scores, agnostic_classes = _class_agnostic_inputs(boxes, scores,
                                                               q)
      num_problem_classes = 1
      q_problem = 1
      per_class = (max_total_size if max_total_size else max_size_per_class)
    else:
      num_problem_classes = num_classes
      q_problem = q
      per_class = max_size_per_class
    if not max_total_size:
      if not isinstance(num_problem_classes, int):
        raise ValueError(
            "batch_multiclass_non_max_suppression: max_total_size must be > 0 "
            "when the number of classes is not static")
      max_total_size = num_problem_classes * per_class

    # [B, C, N, 4] and [B, C, N]: one NMS problem per (image, class).
    boxes_per_class = tf.transpose(boxes, [0, 2, 1, 3])
    if q_problem == 1:
      boxes_per_class = tf.tile(boxes_per_class, [1, num_problem_classes, 1, 1])
    scores_per_class = tf.transpose(scores, [0, 2, 1])
    indices, kept_scores, valid = _per_class_nms(
        tf.reshape(boxes_per_class, [-1, num_boxes, 4]),
        tf.reshape(scores_per_class, [-1, num_boxes]),
        score_thresh, iou_thresh, per_class, soft_nms_sigma,
        parallel_iterations)
    num_candidates = num_problem_classes * per_class
    # [B, C * K] candidates of all classes.
    indices = tf.reshape(indices, [batch, num_candidates])
    kept_scores = tf.reshape(kept_scores, [batch, num_candidates])
    valid = tf.reshape(valid, [batch, num_candidates])
    classes = tf.reshape(
        tf.tile(tf.range(num_problem_classes)[:, tf.newaxis], [1, per_class]),
        [-1])
    classes = tf.tile(classes[tf.newaxis, :], [batch, 1])
    candidate_boxes = tf.gather(
        tf.reshape(boxes_per_class, [batch, -1, 4]),
        classes * num_boxes + indices, batch_dims=1)

    if clip_window is not None:
      clip_window = tf.convert_to_tensor(clip_window, tf.float32)
      if clip_window.shape.rank == 1:
        clip_window = tf.tile(clip_window[tf.newaxis, :], [batch, 1])
      candidate_boxes, valid = _clip_and_reframe(
          candidate_boxes, valid, clip_window, change_coordinate_frame)

    ranking = tf.where(valid, kept_scores, _NEG_INF)
    k = (min(max_total_size, num_candidates)
         if isinstance(num_candidates, int) else
         tf.minimum(max_total_size, num_candidates))
    top_scores, order = tf.math.top_k(ranking, k=k, sorted=True)
    num_detections = tf.reduce_sum(
        tf.cast(top_scores > _NEG_INF, tf.int32), axis=1)
    is_detection = (tf.range(max_total_size)[tf.newaxis, :]
                    < num_detections[:, tf.newaxis])  # [B, T]

    def select(values: tf.Tensor) -> tf.Tensor:
      """[B, C*K, ...] -> [B, T, ...], zeros past num_detections."""
      picked = tf.gather(values, order, batch_dims=1)
      picked = shape_utils.pad_or_clip_nd(
          picked, [None, max_total_size] + [None] * (values.shape.rank - 2))
      return _zero_past_detections(picked, is_detection)

    nmsed_boxes = select(candidate_boxes)
    nmsed_scores = select(kept_scores)
    box_indices = select(indices)
    class_indices = select(classes)
    if agnostic_classes is not None:
      class_indices = tf.where(
          is_detection,
          tf.gather(agnostic_classes, box_indices, batch_dims=1), 0)
    nmsed_classes = tf.cast(class_indices, tf.float32)

    nmsed_masks, nmsed_additional_fields = _gather_extras(
        masks, additional_fields, box_indices, class_indices, is_detection)
    outputs = (nmsed_boxes, nmsed_scores, nmsed_classes, nmsed_masks,
               nmsed_additional_fields, num_detections)
    if return_indices:
      outputs += (box_indices,)
    return outputs


def multiclass_non_max_suppression(
    boxes: tf.Tensor,
    scores: tf.Tensor,
    score_thresh: float,
    iou_thresh: float,
    max_size_per_class: int,
    max_total_size: int = 0,
    clip_window: Optional[tf.Tensor] = None,
    change_coordinate_frame: bool = False,
    masks: Optional[tf.Tensor] = None,
    boundaries: Optional[tf.Tensor] = None,
    pad_to_max_output_size: bool = False,
    use_partitioned_nms: bool = False,
    additional_fields: Optional[Dict[str, tf.Tensor]] = None,
    soft_nms_sigma: float = 0.0,
    use_hard_nms: bool = False,
    use_cpu_nms: bool = False,
    scope: Optional[str] = None) -> Tuple[box_list.BoxList, tf.Tensor]:
  """Per-class NMS for one image; see batch_multiclass_non_max_suppression.

  Args:
    boxes: float32 [num_boxes, q, 4].
    scores: float32 [num_boxes, num_classes].
    score_thresh, iou_thresh, max_size_per_class, max_total_size,
      clip_window ([4]), change_coordinate_frame, soft_nms_sigma: as in the
      batch version.
    masks: optional float32 [num_boxes, q, mask_height, mask_width].
    boundaries: optional float32 [num_boxes, q, height, width], gathered
      like masks.
    pad_to_max_output_size: if True the result holds max_total_size boxes
      (zeros past num_valid_nms_boxes); otherwise only the valid ones.
    use_partitioned_nms, use_hard_nms, use_cpu_nms: accepted for
      compatibility.
    additional_fields: optional dict of [num_boxes, ...] tensors.
    scope: optional name scope.

  Returns:
    nmsed_boxlist: BoxList sorted by decreasing score with fields "scores"
      (float32), "classes" (float32, 0-based), and "masks", "boundaries"
      and each additional field when given.
    num_valid_nms_boxes: int32 scalar number of valid boxes.
  """
  del use_partitioned_nms, use_hard_nms, use_cpu_nms
  with tf.name_scope(scope or "MultiClassNonMaxSuppression"):
    boxes = tf.convert_to_tensor(boxes, tf.float32)
    scores = tf.convert_to_tensor(scores, tf.float32)
    if boxes.shape.rank != 3 or scores.shape.rank != 2:
      raise ValueError(
          "multiclass_non_max_suppression: boxes must be [num_boxes, q, 4] "
          "and scores [num_boxes, num_classes], got {} and {}".format(
              boxes.shape, scores.shape))
    extra = dict(additional_fields or {})
    if boundaries is not None:
      extra[fields.BoxListFields.boundaries] = tf.convert_to_tensor(
          boundaries)
    # Boundaries are per (box, q) like masks; gather them with the masks.
    batched_extra = {name: value[tf.newaxis] for name, value in extra.items()
                     if name != fields.BoxListFields.boundaries}
    outputs = batch_multiclass_non_max_suppression(
        boxes[tf.newaxis], scores[tf.newaxis], score_thresh, iou_thresh,
        max_size_per_class, max_total_size=max_total_size,
        clip_window=clip_window,
        change_coordinate_frame=change_coordinate_frame,
        masks=None if masks is None else tf.convert_to_tensor(
            masks)[tf.newaxis],
        additional_fields=batched_extra or None,
        soft_nms_sigma=soft_nms_sigma, return_indices=True)
    (nmsed_boxes, nmsed_scores, nmsed_classes, nmsed_masks,
     nmsed_extra, num_detections, box_indices) = outputs
    num_valid = num_detections[0]
    size = None if pad_to_max_output_size else num_valid

    def trim(value: tf.Tensor) -> tf.Tensor:
      value = value[0]
      return value if size is None else value[:size]

    result = box_list.BoxList(trim(nmsed_boxes))
    result.add_field(fields.BoxListFields.scores, trim(nmsed_scores))
    result.add_field(fields.BoxListFields.classes, trim(nmsed_classes))
    if nmsed_masks is not None:
      result.add_field(fields.BoxListFields.masks, trim(nmsed_masks))
    if boundaries is not None:
      boundaries = extra[fields.BoxListFields.boundaries]
      slot = (tf.cast(nmsed_classes[0], tf.int32) if boundaries.shape[1] != 1
              else tf.zeros_like(box_indices[0]))
      picked = tf.gather_nd(boundaries,
                            tf.stack([box_indices[0], slot], axis=-1))
      is_valid = tf.range(tf.shape(picked)[0]) < num_valid
      picked = tf.where(is_valid[:, tf.newaxis, tf.newaxis], picked,
                        tf.zeros_like(picked))
      result.add_field(fields.BoxListFields.boundaries,
                       picked if size is None else picked[:size])
    for name, value in (nmsed_extra or {}).items():
      result.add_field(name, trim(value))
    return result, num_valid
