"""The SSD paper's random crop: one of several crop settings, drawn per image.

Liu et al., "SSD: Single Shot MultiBox Detector". `ssd_random_crop`
draws one index into its parameter lists (min_object_covered,
aspect_ratio_range, area_range, overlap_thresh, clip_boxes, random_coef,
all of one length) and then crops as `crop.random_crop_image` does with
those settings. The defaults are the TF OD API's seven settings, from "any
window" (min_object_covered 0) to "must hold a whole box" (1.0).

Conventions as in `crop`: image float32 [height, width, channels], boxes
normalised [num_boxes, 4], masks [num_boxes, height, width], keypoints
normalised [num_boxes, num_keypoints, 2].
"""

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import crop
from object_detection.core.preprocessor_ops import random_ops

_MIN_OBJECT_COVERED = (0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0)
_NUM_SETTINGS = len(_MIN_OBJECT_COVERED)


def _check_lengths(op_name: str, **lists: Sequence[Any]) -> int:
  """The common length of the parameter lists; ValueError if they differ."""
  lengths = {name: len(values) for name, values in lists.items()}
  if not lengths["min_object_covered"]:
    raise ValueError("{}: min_object_covered must not be empty".format(
        op_name))
  if len(set(lengths.values())) != 1:
    raise ValueError(
        "{}: the parameter lists must have one length, got {}".format(
            op_name, ", ".join("{}={}".format(name, length)
                               for name, length in lengths.items())))
  return lengths["min_object_covered"]


def ssd_random_crop(image: tf.Tensor,
                    boxes: tf.Tensor,
                    labels: tf.Tensor,
                    label_weights: Optional[tf.Tensor],
                    label_confidences: Optional[tf.Tensor] = None,
                    multiclass_scores: Optional[tf.Tensor] = None,
                    masks: Optional[tf.Tensor] = None,
                    keypoints: Optional[tf.Tensor] = None,
                    box_indices: Optional[tf.Tensor] = None,
                    min_object_covered: Sequence[float] = _MIN_OBJECT_COVERED,
                    aspect_ratio_range: Sequence[Sequence[float]] = (
                        (0.5, 2.0),) * _NUM_SETTINGS,
                    area_range: Sequence[Sequence[float]] = (
                        (0.1, 1.0),) * _NUM_SETTINGS,
                    overlap_thresh: Sequence[float] = _MIN_OBJECT_COVERED,
                    clip_boxes: Sequence[bool] = (True,) * _NUM_SETTINGS,
                    random_coef: Sequence[float] = (0.15,) * _NUM_SETTINGS,
                    seed: random_ops.Seed = None,
                    preprocess_vars_cache: Optional[
                        random_ops.PreprocessorCache] = None
                    ) -> Tuple[tf.Tensor, ...]:
  """Random crop with settings drawn uniformly from parallel lists.

  Setting i crops a window covering at least min_object_covered[i] of
  some box, with width / height in aspect_ratio_range[i] and area ratio in
  area_range[i]; boxes covered less than overlap_thresh[i] are dropped
  with their fields; with probability random_coef[i] nothing changes.

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
    min_object_covered: one float per setting.
    aspect_ratio_range: one (min, max) per setting.
    area_range: one (min, max) per setting.
    overlap_thresh: one float per setting.
    clip_boxes: one bool per setting.
    random_coef: one probability of not cropping per setting.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The inputs that were not None, in argument order, cropped.
  Raises:
    ValueError: if the parameter lists are empty or differ in length.
  """
  num_settings = _check_lengths(
      "ssd_random_crop", min_object_covered=min_object_covered,
      aspect_ratio_range=aspect_ratio_range, area_range=area_range,
      overlap_thresh=overlap_thresh, clip_boxes=clip_boxes,
      random_coef=random_coef)
  with tf.name_scope("SSDRandomCrop"):
    selector = random_ops.cached(
        preprocess_vars_cache, "ssd_random_crop", "selector",
        lambda: random_ops.uniform([], random_ops.derive(seed, 0), 0,
                                   num_settings, tf.int32))

    def window_branch(index: int) -> Callable[[], tf.Tensor]:
      def draw() -> tf.Tensor:
        offset, size = crop.sample_crop_window(
            image, boxes, min_object_covered[index],
            aspect_ratio_range[index], area_range[index],
            random_ops.derive(seed, 1))
        return tf.concat([offset, size], axis=0)
      return draw

    window = random_ops.cached(
        preprocess_vars_cache, "ssd_random_crop", "window",
        lambda: tf.switch_case(selector, [window_branch(i)
                                          for i in range(num_settings)]))
    overlap = tf.gather(tf.constant(overlap_thresh, tf.float32), selector)
    clip = (bool(clip_boxes[0]) if len(set(clip_boxes)) == 1 else
            tf.gather(tf.constant(clip_boxes, tf.bool), selector))
    inputs = (image, boxes, labels, label_weights, label_confidences,
              multiclass_scores, masks, keypoints, box_indices)

    def crop_fn() -> Tuple[tf.Tensor, ...]:
      out = crop.crop_to_window(
          image, window[:2], window[2:], boxes,
          per_box_fields=(labels, label_weights, label_confidences,
                          multiclass_scores, box_indices),
          masks=masks, keypoints=keypoints, overlap_thresh=overlap,
          clip_boxes=clip)
      labels_, weights, confidences, scores, indices = out.per_box_fields
      return crop.present(out.image, out.boxes, labels_, weights,
                          confidences, scores, out.masks, out.keypoints,
                          indices)

    if max(random_coef) <= 0.0:
      return crop_fn()
    draw = random_ops.cached(
        preprocess_vars_cache, "ssd_random_crop", "apply",
        lambda: random_ops.uniform([], random_ops.derive(seed, 2)))
    threshold = tf.gather(tf.constant(random_coef, tf.float32), selector)
    return tuple(tf.cond(draw > threshold, crop_fn,
                         lambda: crop.present(*inputs)))


def ssd_random_crop_fixed_aspect_ratio(
    image: tf.Tensor,
    boxes: tf.Tensor,
    labels: tf.Tensor,
    label_weights: Optional[tf.Tensor],
    label_confidences: Optional[tf.Tensor] = None,
    multiclass_scores: Optional[tf.Tensor] = None,
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    box_indices: Optional[tf.Tensor] = None,
    min_object_covered: Sequence[float] = _MIN_OBJECT_COVERED,
    aspect_ratio: float = 1.0,
    area_range: Sequence[Sequence[float]] = ((0.1, 1.0),) * _NUM_SETTINGS,
    overlap_thresh: Sequence[float] = _MIN_OBJECT_COVERED,
    clip_boxes: Sequence[bool] = (True,) * _NUM_SETTINGS,
    random_coef: Sequence[float] = (0.15,) * _NUM_SETTINGS,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[random_ops.PreprocessorCache] = None
) -> Tuple[tf.Tensor, ...]:
  """`ssd_random_crop` with every window of one aspect ratio.

  The windows are sampled with aspect_ratio_range (aspect_ratio,
  aspect_ratio); since pixel rounding can leave them slightly off, the
  result then goes through `crop.random_crop_to_aspect_ratio` (overlap
  0.3, as in the TF OD API, clipping when any clip_boxes entry is True).

  Args:
    image, boxes, labels, label_weights, label_confidences,
    multiclass_scores, masks, keypoints, box_indices: as ssd_random_crop.
    min_object_covered: one float per setting.
    aspect_ratio: width / height of the crops.
    area_range: one (min, max) per setting.
    overlap_thresh: one float per setting.
    clip_boxes: one bool per setting.
    random_coef: one probability of not cropping per setting.
    seed: None, an int or an int [2] tensor (see random_ops).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    The inputs that were not None, in argument order, cropped.
  Raises:
    ValueError: if the parameter lists are empty or differ in length.
  """
  inputs = (image, boxes, labels, label_weights, label_confidences,
            multiclass_scores, masks, keypoints, box_indices)
  cropped = list(ssd_random_crop(
      *inputs, min_object_covered=min_object_covered,
      aspect_ratio_range=((aspect_ratio, aspect_ratio),) * len(area_range),
      area_range=area_range, overlap_thresh=overlap_thresh,
      clip_boxes=clip_boxes, random_coef=random_coef,
      seed=random_ops.derive(seed, 0),
      preprocess_vars_cache=preprocess_vars_cache))
  # Put the outputs back in their argument slots (None stays None).
  slots = [cropped.pop(0) if t is not None else None for t in inputs]
  return crop.random_crop_to_aspect_ratio(
      *slots, aspect_ratio=aspect_ratio, clip_boxes=any(clip_boxes),
      seed=random_ops.derive(seed, 1),
      preprocess_vars_cache=preprocess_vars_cache)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable[..., Any], Tuple[Optional[str], ...]]:
  """tensor_dict keys of the positional arguments of this module's ops."""
  keys = (fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.multiclass_scores, fields.masks,
          fields.keypoints, fields.box_indices)
  return {ssd_random_crop: keys, ssd_random_crop_fixed_aspect_ratio: keys}
