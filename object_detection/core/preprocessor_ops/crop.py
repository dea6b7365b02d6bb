"""Random crops: random_crop_image, random_crop_to_aspect_ratio.

Also home of `crop_to_window`, the shared step "cut the image to a pixel
window and keep every per-box field consistent", used by the crop and
crop-and-pad ops of the other families.

Conventions (the TF OD API's): image float32 [height, width, channels];
boxes normalised float32 [num_boxes, 4] as [ymin, xmin, ymax, xmax];
masks [num_boxes, height, width]; keypoints normalised [num_boxes,
num_keypoints, 2] as (y, x); DensePose surface coordinates [num_boxes,
num_points, 4] as (y, x, v, u) with (y, x) normalised.

A box survives a crop when it overlaps the window (touching an edge is
not overlapping) and the window covers at least `overlap_thresh` of the
box's own area (intersection over the box's area, the TF OD API's
`prune_non_overlapping_boxes`); every other box is dropped together with
its labels, weights, masks, keypoints and box_indices.
"""

import sys
from typing import Any, Callable, Dict, NamedTuple, Optional, Sequence, Tuple
from typing import Union

import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import box_list_ops
from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops

Bool = Union[bool, tf.Tensor]
Float = Union[float, tf.Tensor]
_UNIT_WINDOW = (0.0, 0.0, 1.0, 1.0)


class CropOutputs(NamedTuple):
  """What `crop_to_window` returns; fields are None where no input was.

  Attributes:
    image: [win_height, win_width, channels] cropped image.
    boxes: float32 [num_kept, 4] kept boxes in the window's frame.
    per_box_fields: tuple, one entry per `per_box_fields` input: that
      tensor gathered to the kept boxes (None stays None).
    masks: [num_kept, win_height, win_width] cropped masks.
    keypoints: float32 [num_kept, num_keypoints, 2] in the window's frame;
      NaN outside the window when clipping.
    keypoint_visibilities: bool [num_kept, num_keypoints]; False where
      the keypoint became NaN when clipping.
    dp_num_points: int32 [num_kept] DensePose points left per box.
    dp_part_ids: int32 [num_kept, max_points] (compacted when clipping).
    dp_surface_coords: float32 [num_kept, max_points, 4] in the window's
      frame (points outside it removed when clipping).
    kept_indices: int32 [num_kept] indices of the kept input boxes.
    window: float32 [4] the window, normalised in the input image.
  """
  image: tf.Tensor
  boxes: tf.Tensor
  per_box_fields: Tuple[Optional[tf.Tensor], ...]
  masks: Optional[tf.Tensor]
  keypoints: Optional[tf.Tensor]
  keypoint_visibilities: Optional[tf.Tensor]
  dp_num_points: Optional[tf.Tensor]
  dp_part_ids: Optional[tf.Tensor]
  dp_surface_coords: Optional[tf.Tensor]
  kept_indices: tf.Tensor
  window: tf.Tensor


def present(*tensors: Optional[tf.Tensor]) -> Tuple[tf.Tensor, ...]:
  """The tensors that are not None, in order (an op's outputs)."""
  return tuple(t for t in tensors if t is not None)


def _where(flag: Bool, if_true: tf.Tensor, if_false: tf.Tensor) -> tf.Tensor:
  """if_true/if_false chosen by a Python bool or a bool scalar tensor."""
  if isinstance(flag, bool):
    return if_true if flag else if_false
  return tf.where(flag, if_true, if_false)


def _keypoints_to_window(keypoints: tf.Tensor, window: tf.Tensor,
                         clip: Bool) -> tf.Tensor:
  """Moves (y, x) points into the window's frame; NaN outside if clipping."""
  origin = window[:2]
  extent = window[2:] - window[:2]
  moved = (keypoints - origin) / extent
  inside = tf.reduce_all((moved >= 0.0) & (moved <= 1.0), axis=-1,
                         keepdims=True)
  pruned = tf.where(inside, moved, tf.fill(tf.shape(moved), float("nan")))
  return _where(clip, pruned, moved)


def _prune_densepose(num_points: tf.Tensor, part_ids: tf.Tensor,
                     coords: tf.Tensor) -> Tuple[tf.Tensor, ...]:
  """Drops DensePose points outside [0, 1]^2, compacting each row.

  Args:
    num_points: int32 [N] valid points per box.
    part_ids: int32 [N, P] part ids, padded.
    coords: float32 [N, P, 4] (y, x, v, u), padded.
  Returns:
    (num_points [N], part_ids [N, P'], coords [N, P', 4]) where P' is the
    largest new number of points and padding is zero.
  """
  positions = tf.range(tf.shape(part_ids)[1])[tf.newaxis, :]
  valid = positions < num_points[:, tf.newaxis]
  yx = coords[..., :2]
  valid &= tf.reduce_all((yx >= 0.0) & (yx <= 1.0), axis=-1)
  new_num_points = tf.reduce_sum(tf.cast(valid, tf.int32), axis=1)
  # Stable sort moves the valid points to the front in their order.
  order = tf.argsort(tf.cast(~valid, tf.int32), axis=1, stable=True)
  max_points = tf.reduce_max(tf.concat([new_num_points, [0]], axis=0))
  order = order[:, :max_points]
  keep = positions[:, :max_points] < new_num_points[:, tf.newaxis]
  new_ids = tf.where(keep, tf.gather(part_ids, order, batch_dims=1), 0)
  new_coords = tf.where(keep[..., tf.newaxis],
                        tf.gather(coords, order, batch_dims=1), 0.0)
  return new_num_points, new_ids, new_coords


def _densepose_to_window(num_points: tf.Tensor, part_ids: tf.Tensor,
                         coords: tf.Tensor, window: tf.Tensor,
                         clip: Bool) -> Tuple[tf.Tensor, ...]:
  """DensePose fields in the window's frame, pruned to it when clipping."""
  shift = tf.concat([window[:2], [0.0, 0.0]], axis=0)
  factor = tf.concat([window[2:] - window[:2], [1.0, 1.0]], axis=0)
  moved = (coords - shift) / factor
  if isinstance(clip, bool) and not clip:
    return num_points, part_ids, moved
  pruned = _prune_densepose(num_points, part_ids, moved)
  if isinstance(clip, bool):
    return pruned
  return tuple(tf.cond(clip, lambda: pruned,
                       lambda: (num_points, part_ids, moved)))


def crop_to_window(image: tf.Tensor,
                   offset: tf.Tensor,
                   size: tf.Tensor,
                   boxes: tf.Tensor,
                   per_box_fields: Sequence[Optional[tf.Tensor]] = (),
                   masks: Optional[tf.Tensor] = None,
                   keypoints: Optional[tf.Tensor] = None,
                   keypoint_visibilities: Optional[tf.Tensor] = None,
                   dp_num_points: Optional[tf.Tensor] = None,
                   dp_part_ids: Optional[tf.Tensor] = None,
                   dp_surface_coords: Optional[tf.Tensor] = None,
                   overlap_thresh: Float = 0.3,
                   clip_boxes: Bool = True) -> CropOutputs:
  """Crops an image to a pixel window and keeps the per-box fields in step.

  Boxes that do not overlap the window, or of whose area the window covers
  less than `overlap_thresh`, are dropped with every field given. The kept
  boxes, keypoints and DensePose points are re-expressed in the window's
  normalised frame; masks are cut to the window.

  Args:
    image: [height, width, channels] image (any dtype).
    offset: int32 [2] (y, x) pixel of the window's top-left corner.
    size: int32 [2] (height, width) of the window in pixels; the window
      must lie inside the image.
    boxes: float32 [num_boxes, 4] normalised boxes.
    per_box_fields: tensors whose first axis is num_boxes (labels, weights,
      confidences, multiclass scores, box_indices, ...), only gathered.
      Entries may be None.
    masks: optional [num_boxes, height, width] instance masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    keypoint_visibilities: optional bool [num_boxes, num_keypoints].
    dp_num_points: optional int32 [num_boxes] DensePose points per box.
    dp_part_ids: optional int32 [num_boxes, num_points]; needed with
      dp_num_points and dp_surface_coords (all three or none).
    dp_surface_coords: optional float32 [num_boxes, num_points, 4].
    overlap_thresh: float (or float32 scalar tensor), the smallest
      fraction of a box's area the window must cover to keep the box.
    clip_boxes: bool (or bool scalar tensor): clip the boxes to [0, 1];
      keypoints outside the window become NaN (and invisible) and
      DensePose points outside it are removed.
  Returns:
    A CropOutputs.
  Raises:
    ValueError: if only some of the three DensePose fields are given.
  """
  dp_fields = (dp_num_points, dp_part_ids, dp_surface_coords)
  if any(t is not None for t in dp_fields) and any(t is None
                                                   for t in dp_fields):
    raise ValueError(
        "crop_to_window: dp_num_points, dp_part_ids and dp_surface_coords "
        "must be given together")
  offset = tf.cast(offset, tf.int32)
  size = tf.cast(size, tf.int32)
  image_hw = tf.cast(tf.shape(image)[:2], tf.float32)
  window = tf.concat([tf.cast(offset, tf.float32) / image_hw,
                      tf.cast(offset + size, tf.float32) / image_hw], axis=0)
  new_image = tf.slice(image, tf.concat([offset, [0]], axis=0),
                       tf.concat([size, [-1]], axis=0))

  boxlist = box_list.BoxList(boxes)
  _, inside_ids = box_list_ops.prune_completely_outside_window(boxlist,
                                                               window)
  _, covered = box_list_ops.prune_non_overlapping_boxes(
      box_list_ops.gather(boxlist, inside_ids),
      box_list.BoxList(window[tf.newaxis]), overlap_thresh)
  kept = tf.gather(inside_ids, covered)

  def take(tensor: Optional[tf.Tensor]) -> Optional[tf.Tensor]:
    return None if tensor is None else tf.gather(tensor, kept)

  new_boxes = box_list_ops.change_coordinate_frame(
      box_list.BoxList(take(boxes)), window).get()
  new_boxes = _where(clip_boxes, tf.clip_by_value(new_boxes, 0.0, 1.0),
                     new_boxes)
  new_masks = None
  if masks is not None:
    new_masks = tf.slice(take(masks), tf.concat([[0], offset], axis=0),
                         tf.concat([[-1], size], axis=0))
  new_keypoints = None
  if keypoints is not None:
    new_keypoints = _keypoints_to_window(take(keypoints), window, clip_boxes)
  new_visibilities = take(keypoint_visibilities)
  if new_visibilities is not None and new_keypoints is not None:
    missing = tf.reduce_any(tf.math.is_nan(new_keypoints), axis=-1)
    new_visibilities = _where(clip_boxes, new_visibilities & ~missing,
                              new_visibilities)
  new_dp = (None, None, None)
  if dp_num_points is not None:
    new_dp = _densepose_to_window(take(dp_num_points), take(dp_part_ids),
                                  take(dp_surface_coords), window,
                                  clip_boxes)
  return CropOutputs(
      image=new_image, boxes=new_boxes,
      per_box_fields=tuple(take(t) for t in per_box_fields),
      masks=new_masks, keypoints=new_keypoints,
      keypoint_visibilities=new_visibilities, dp_num_points=new_dp[0],
      dp_part_ids=new_dp[1], dp_surface_coords=new_dp[2],
      kept_indices=kept, window=window)


def sample_crop_window(image: tf.Tensor, boxes: tf.Tensor,
                       min_object_covered: float,
                       aspect_ratio_range: Sequence[float],
                       area_range: Sequence[float],
                       seed: random_ops.Seed) -> Tuple[tf.Tensor, tf.Tensor]:
  """A random window as `tf.image.sample_distorted_bounding_box` picks it.

  Up to 100 attempts; the whole image when none satisfies the
  constraints.

  Args:
    image: [height, width, channels] image.
    boxes: float32 [num_boxes, 4] normalised boxes (clipped to [0, 1]
      here); with no boxes the whole image stands for them.
    min_object_covered: the window must cover at least this fraction of
      at least one box.
    aspect_ratio_range: (min, max) allowed width / height of the window.
    area_range: (min, max) allowed window area over the image area.
    seed: None, an int or an int [2] tensor (see random_ops).
  Returns:
    (offset int32 [2], size int32 [2]) in pixels, (y, x) order.
  """
  begin, size, _ = random_ops.sample_distorted_bounding_box(
      tf.shape(image), tf.clip_by_value(boxes, 0.0, 1.0)[:, tf.newaxis, :],
      seed, min_object_covered=min_object_covered,
      aspect_ratio_range=tuple(aspect_ratio_range),
      area_range=tuple(area_range), max_attempts=100,
      use_image_if_no_bounding_boxes=True)
  return begin[:2], size[:2]


def window_cache_key(min_object_covered: float,
                     aspect_ratio_range: Sequence[float],
                     area_range: Sequence[float]) -> str:
  """PreprocessorCache key of a crop window drawn with these constraints."""
  return "window_{}_{}_{}".format(min_object_covered,
                                  tuple(aspect_ratio_range), tuple(area_range))


def random_crop_image(image: tf.Tensor,
                      boxes: tf.Tensor,
                      labels: tf.Tensor,
                      label_weights: Optional[tf.Tensor],
                      label_confidences: Optional[tf.Tensor] = None,
                      multiclass_scores: Optional[tf.Tensor] = None,
                      masks: Optional[tf.Tensor] = None,
                      keypoints: Optional[tf.Tensor] = None,
                      keypoint_visibilities: Optional[tf.Tensor] = None,
                      densepose_num_points: Optional[tf.Tensor] = None,
                      densepose_part_ids: Optional[tf.Tensor] = None,
                      densepose_surface_coords: Optional[tf.Tensor] = None,
                      box_indices: Optional[tf.Tensor] = None,
                      min_object_covered: float = 1.0,
                      aspect_ratio_range: Sequence[float] = (0.75, 1.33),
                      area_range: Sequence[float] = (0.1, 1.0),
                      overlap_thresh: float = 0.3,
                      clip_boxes: bool = True,
                      random_coef: float = 0.0,
                      seed: random_ops.Seed = None,
                      preprocess_vars_cache: Optional[
                          random_ops.PreprocessorCache] = None
                      ) -> Tuple[tf.Tensor, ...]:
  """Crops a random window satisfying coverage, aspect and area limits.

  The window is drawn as `sample_crop_window` describes; boxes and their
  fields then follow `crop_to_window`. With probability `random_coef`
  everything is returned unchanged.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    labels: int32 [num_boxes] classes.
    label_weights: float32 [num_boxes] or None.
    label_confidences: optional float32 [num_boxes].
    multiclass_scores: optional float32 [num_boxes, num_classes].
    masks: optional [num_boxes, height, width].
    keypoints: optional float32 [num_boxes, num_keypoints, 2].
    keypoint_visibilities: optional bool [num_boxes, num_keypoints].
    densepose_num_points: optional int32 [num_boxes].
    densepose_part_ids: optional int32 [num_boxes, num_points].
    densepose_surface_coords: optional float32 [num_boxes, num_points, 4].
    box_indices: optional int32 [num_boxes] (see arg_fields).
    min_object_covered: fraction of some box the window must cover.
    aspect_ratio_range: allowed window width / height.
    area_range: allowed window area over image area.
    overlap_thresh: smallest covered fraction of a box's area to keep it.
    clip_boxes: clip boxes to the window; prune keypoints and DensePose
      points outside it.
    random_coef: probability of returning the inputs uncropped.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The inputs that were not None, in argument order, cropped: image
    [win_height, win_width, channels], then the per-box fields with
    num_kept rows.
  Raises:
    ValueError: if only some of the DensePose fields are given.
  """
  window_key = window_cache_key(min_object_covered, aspect_ratio_range,
                                area_range)
  with tf.name_scope("RandomCropImage"):
    offset, size = random_ops.cached(
        preprocess_vars_cache, "random_crop_image", window_key,
        lambda: sample_crop_window(image, boxes, min_object_covered,
                                   aspect_ratio_range, area_range,
                                   random_ops.derive(seed, 0)))
    inputs = (image, boxes, labels, label_weights, label_confidences,
              multiclass_scores, masks, keypoints, keypoint_visibilities,
              densepose_num_points, densepose_part_ids,
              densepose_surface_coords, box_indices)

    def crop() -> Tuple[tf.Tensor, ...]:
      out = crop_to_window(
          image, offset, size, boxes,
          per_box_fields=(labels, label_weights, label_confidences,
                          multiclass_scores, box_indices),
          masks=masks, keypoints=keypoints,
          keypoint_visibilities=keypoint_visibilities,
          dp_num_points=densepose_num_points,
          dp_part_ids=densepose_part_ids,
          dp_surface_coords=densepose_surface_coords,
          overlap_thresh=overlap_thresh, clip_boxes=clip_boxes)
      labels_, weights, confidences, scores, indices = out.per_box_fields
      return present(out.image, out.boxes, labels_, weights, confidences,
                     scores, out.masks, out.keypoints,
                     out.keypoint_visibilities, out.dp_num_points,
                     out.dp_part_ids, out.dp_surface_coords, indices)

    return maybe_apply(crop, present(*inputs), random_coef,
                       "random_crop_image", random_ops.derive(seed, 1),
                       preprocess_vars_cache)


def maybe_apply(transform: Callable[[], Tuple[tf.Tensor, ...]],
                unchanged: Tuple[tf.Tensor, ...], random_coef: float,
                function_id: str, seed: random_ops.Seed,
                cache: Optional[random_ops.PreprocessorCache]
                ) -> Tuple[tf.Tensor, ...]:
  """transform(), except with probability random_coef `unchanged`.

  Args:
    transform: builds the transformed outputs (same structure and dtypes
      as `unchanged`).
    unchanged: the outputs to return when skipping.
    random_coef: Python float, probability of skipping; 0 never draws.
    function_id: PreprocessorCache function id for the draw.
    seed: seed of the draw.
    cache: optional PreprocessorCache.
  Returns:
    tuple of tensors.
  """
  if random_coef < sys.float_info.min:
    return tuple(transform())
  draw = random_ops.cached(cache, function_id, "apply",
                           lambda: random_ops.uniform([], seed))
  return tuple(tf.cond(draw > random_coef, transform, lambda: unchanged))


def random_crop_to_aspect_ratio(image: tf.Tensor,
                                boxes: tf.Tensor,
                                labels: tf.Tensor,
                                label_weights: Optional[tf.Tensor],
                                label_confidences: Optional[tf.Tensor] = None,
                                multiclass_scores: Optional[tf.Tensor] = None,
                                masks: Optional[tf.Tensor] = None,
                                keypoints: Optional[tf.Tensor] = None,
                                box_indices: Optional[tf.Tensor] = None,
                                aspect_ratio: float = 1.0,
                                overlap_thresh: float = 0.3,
                                clip_boxes: bool = True,
                                seed: random_ops.Seed = None,
                                preprocess_vars_cache: Optional[
                                    random_ops.PreprocessorCache] = None
                                ) -> Tuple[tf.Tensor, ...]:
  """Crops the largest window of a given aspect ratio at a random place.

  A wider image loses columns (window height = image height, width =
  round(height * aspect_ratio)); a taller one loses rows (height =
  round(width / aspect_ratio)). The offset along the cut axis is uniform
  over the integer positions. Boxes and their fields follow
  `crop_to_window`.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    labels: int32 [num_boxes] classes.
    label_weights: float32 [num_boxes] or None.
    label_confidences: optional float32 [num_boxes].
    multiclass_scores: optional float32 [num_boxes, num_classes].
    masks: optional [num_boxes, height, width].
    keypoints: optional float32 [num_boxes, num_keypoints, 2].
    box_indices: optional int32 [num_boxes] (see arg_fields).
    aspect_ratio: width / height of the crop, > 0.
    overlap_thresh: smallest covered fraction of a box's area to keep it.
    clip_boxes: clip boxes to the window (keypoints outside become NaN).
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The inputs that were not None, in argument order, cropped.
  Raises:
    ValueError: if image is not rank 3 or aspect_ratio is not > 0.
  """
  if image.shape.rank != 3:
    raise ValueError(
        "random_crop_to_aspect_ratio: image must be [height, width, "
        "channels], got shape {}".format(image.shape))
  if not aspect_ratio > 0:
    raise ValueError("random_crop_to_aspect_ratio: aspect_ratio must be > 0, "
                     "got {}".format(aspect_ratio))
  with tf.name_scope("RandomCropToAspectRatio"):
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    height_f = tf.cast(height, tf.float32)
    width_f = tf.cast(width, tf.float32)
    image_ratio = width_f / height_f
    target_height = tf.where(
        image_ratio >= aspect_ratio, height,
        tf.cast(tf.round(width_f / aspect_ratio), tf.int32))
    target_width = tf.where(
        image_ratio <= aspect_ratio, width,
        tf.cast(tf.round(height_f * aspect_ratio), tf.int32))

    def draw() -> tf.Tensor:
      return tf.stack([
          random_ops.uniform([], random_ops.derive(seed, index), 0,
                             limit + 1, tf.int32)
          for index, limit in enumerate((height - target_height,
                                         width - target_width))])

    offset = random_ops.cached(preprocess_vars_cache,
                               "random_crop_to_aspect_ratio", "offset", draw)
    out = crop_to_window(
        image, offset, tf.stack([target_height, target_width]), boxes,
        per_box_fields=(labels, label_weights, label_confidences,
                        multiclass_scores, box_indices),
        masks=masks, keypoints=keypoints, overlap_thresh=overlap_thresh,
        clip_boxes=clip_boxes)
    labels_, weights, confidences, scores, indices = out.per_box_fields
    return present(out.image, out.boxes, labels_, weights, confidences,
                   scores, out.masks, out.keypoints, indices)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable[..., Any], Tuple[Optional[str], ...]]:
  """tensor_dict keys of the positional arguments of this module's ops."""
  return {
      random_crop_image: (
          fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.multiclass_scores, fields.masks,
          fields.keypoints, fields.keypoint_visibilities,
          fields.dp_num_points, fields.dp_part_ids, fields.dp_surface_coords,
          fields.box_indices),
      random_crop_to_aspect_ratio: (
          fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.multiclass_scores, fields.masks,
          fields.keypoints, fields.box_indices),
  }
