"""Whole-image rescaling ops: random_image_scale,
random_downscale_to_target_pixels, random_resize_method and
scale_boxes_to_pixel_coordinates (the TF OD API's names and arguments).

Conventions (those of `core.preprocessor`): image float32 [height, width,
channels]; masks [num_boxes, height, width]; boxes normalised float32
[num_boxes, 4] as [ymin, xmin, ymax, xmax]; keypoints normalised float32
[num_boxes, num_keypoints, 2] as (y, x).

Rescaling the whole image leaves normalised boxes and keypoints where they
are, so these ops do not take them (scale_boxes_to_pixel_coordinates, which
changes their unit, excepted) and drop no box. Resizes use the TF1 pixel
alignment of the TF OD API (see `image_resize`); masks are resized with
nearest neighbour and keep their dtype.

Random draws go through `random_ops`. With a `PreprocessorCache` the draws
are filed under the op's name: random_image_scale keeps 'scale';
random_downscale_to_target_pixels keeps 'apply' (the uniform value
compared with random_coef) and 'target_pixels'; random_resize_method keeps
'method' (int32 index into `RESIZE_METHODS`).

This module's `func_arg_map` also gives the entry of
`image_resize.resize_image` (image, masks).
"""

from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import image_resize
from object_detection.core.preprocessor_ops import random_ops

ResizeMethod = tf.image.ResizeMethod
# The methods random_resize_method picks from, indexed as the TF1
# tf.image.ResizeMethod enum (0 bilinear, 1 nearest, 2 bicubic, 3 area).
RESIZE_METHODS = (ResizeMethod.BILINEAR, ResizeMethod.NEAREST_NEIGHBOR,
                  ResizeMethod.BICUBIC, ResizeMethod.AREA)


def _resize(image: tf.Tensor, size: tf.Tensor, method: str,
            align_corners: bool) -> tf.Tensor:
  """Resizes [h, w, c] to size (int32 [2]) with TF1 alignment, as float32."""
  # pylint: disable=protected-access
  resized = image_resize._resize_4d(tf.cast(image, tf.float32)[tf.newaxis],
                                    size, method, align_corners)[0]
  resized.set_shape([None, None, image.shape[2]])
  return resized


def _resize_masks(masks: tf.Tensor, size: tf.Tensor,
                  align_corners: bool) -> tf.Tensor:
  """Nearest-neighbour resize of [num_boxes, h, w] masks, dtype kept."""
  # pylint: disable=protected-access
  return image_resize._resize_4d(masks[..., tf.newaxis], size,
                                 ResizeMethod.NEAREST_NEIGHBOR,
                                 align_corners)[..., 0]


def random_image_scale(image: tf.Tensor,
                       masks: Optional[tf.Tensor] = None,
                       min_scale_ratio: float = 0.5,
                       max_scale_ratio: float = 2.0,
                       seed: random_ops.Seed = None,
                       preprocess_vars_cache: Optional[
                           random_ops.PreprocessorCache] = None
                       ) -> Tuple[tf.Tensor, ...]:
  """Resizes the image by a random factor, keeping its aspect ratio.

  A factor f is drawn uniformly in [min_scale_ratio, max_scale_ratio); the
  new size is int(f * side) per axis. The image is resized bilinearly and
  the masks with nearest neighbour, both with align_corners=True (the TF OD
  API's choice). Unlike the TF OD API, which resizes a [num_boxes, height,
  width] mask tensor as if it were one [height, width, channels] image,
  each mask is resized as a mask.

  Args:
    image: float32 [height, width, channels].
    masks: optional [num_boxes, height, width] masks.
    min_scale_ratio: smallest factor, > 0.
    max_scale_ratio: largest factor (exclusive unless equal to the
      smallest).
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    (image float32 [new_height, new_width, channels], then masks
    [num_boxes, new_height, new_width] where given).
  Raises:
    ValueError: image not rank 3.
  """
  op_name = "random_image_scale"
  image = image_resize.check_image(image, op_name)
  with tf.name_scope("RandomImageScale"):
    factor = random_ops.cached(
        preprocess_vars_cache, op_name, "scale",
        lambda: random_ops.uniform([], seed, minval=min_scale_ratio,
                                   maxval=max_scale_ratio))
    size = tf.cast(tf.cast(tf.shape(image)[:2], tf.float32) * factor,
                   tf.int32)
    result = [_resize(image, size, ResizeMethod.BILINEAR, True)]
    if masks is not None:
      result.append(_resize_masks(tf.convert_to_tensor(masks), size, True))
    return tuple(result)


def random_downscale_to_target_pixels(image: tf.Tensor,
                                      masks: Optional[tf.Tensor] = None,
                                      min_target_pixels: int = 300000,
                                      max_target_pixels: int = 800000,
                                      random_coef: float = 0.0,
                                      seed: random_ops.Seed = None,
                                      preprocess_vars_cache: Optional[
                                          random_ops.PreprocessorCache] = None
                                      ) -> Tuple[tf.Tensor, ...]:
  """Shrinks an image above a random pixel count to about that count.

  A target t is drawn uniformly among the integers in [min_target_pixels,
  max_target_pixels) (t = min_target_pixels when both are equal). When
  height * width > t, and a uniform draw is >= random_coef, both sides are
  multiplied by sqrt(t / (height * width)) and truncated, and the image
  (bilinear) and masks (nearest) are resized to that size
  (align_corners=False, as `resize_image`). Otherwise the inputs come back
  unchanged (the image cast to float32).

  Args:
    image: [height, width, channels] image.
    masks: optional [num_boxes, height, width] masks.
    min_target_pixels: smallest target pixel count, > 0.
    max_target_pixels: largest target pixel count, exclusive, > 0.
    random_coef: probability of leaving the image unchanged.
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    (image float32 [new_height, new_width, channels], then masks
    [num_boxes, new_height, new_width] where given).
  Raises:
    ValueError: image not rank 3, or a target pixel bound that is not
      positive.
  """
  op_name = "random_downscale_to_target_pixels"
  for name, value in (("min_target_pixels", min_target_pixels),
                      ("max_target_pixels", max_target_pixels)):
    if isinstance(value, (int, float)) and value <= 0:
      raise ValueError("{}: {} must be > 0, got {}".format(op_name, name,
                                                            value))
  image = image_resize.check_image(image, op_name)
  with tf.name_scope("RandomDownscaleToTargetPixels"):
    apply_draw = random_ops.cached(
        preprocess_vars_cache, op_name, "apply",
        lambda: random_ops.uniform([], random_ops.derive(seed, 0)))

    def draw_target() -> tf.Tensor:
      low = tf.cast(min_target_pixels, tf.int32)
      high = tf.cast(max_target_pixels, tf.int32)
      value = random_ops.uniform([], random_ops.derive(seed, 1), minval=low,
                                 maxval=tf.maximum(high, low + 1),
                                 dtype=tf.int32)
      return tf.where(high > low, value, low)

    target = random_ops.cached(preprocess_vars_cache, op_name,
                               "target_pixels", draw_target)
    hw = tf.shape(image)[:2]
    pixels = hw[0] * hw[1]
    factor = tf.sqrt(tf.cast(target, tf.float32) /
                     tf.cast(pixels, tf.float32))
    size = tf.cast(factor * tf.cast(hw, tf.float32), tf.int32)
    apply = (apply_draw >= random_coef) & (pixels > target)
    image_f = tf.cast(image, tf.float32)
    if masks is None:
      return (tf.cond(apply,
                      lambda: _resize(image_f, size, ResizeMethod.BILINEAR,
                                      False),
                      lambda: image_f),)
    masks = tf.convert_to_tensor(masks)
    return tuple(tf.cond(
        apply,
        lambda: (_resize(image_f, size, ResizeMethod.BILINEAR, False),
                 _resize_masks(masks, size, False)),
        lambda: (image_f, masks)))


def random_resize_method(image: tf.Tensor,
                         target_size: Union[Sequence[int], tf.Tensor],
                         preprocess_vars_cache: Optional[
                             random_ops.PreprocessorCache] = None,
                         seed: random_ops.Seed = None) -> tf.Tensor:
  """Resizes to target_size with a method picked at random.

  One of `RESIZE_METHODS` (bilinear, nearest neighbour, bicubic, area)
  with equal probability, TF1 alignment (align_corners=False). Bicubic
  may overshoot the input's value range; nothing is clipped, as in the
  TF OD API.

  Args:
    image: [height, width, channels] image.
    target_size: (target_height, target_width) in pixels.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
    seed: see `random_ops` (an extension: the TF OD API op is unseeded).
  Returns:
    float32 [target_height, target_width, channels] image.
  Raises:
    ValueError: image not rank 3, or target_size without 2 values.
  """
  op_name = "random_resize_method"
  image = image_resize.check_image(image, op_name)
  size = tf.cast(tf.convert_to_tensor(target_size), tf.int32)
  if size.shape.rank != 1 or size.shape[0] != 2:
    raise ValueError("{}: target_size must be (height, width), got {!r}".format(
        op_name, target_size))
  with tf.name_scope("RandomResizeMethod"):
    index = random_ops.cached(
        preprocess_vars_cache, op_name, "method",
        lambda: random_ops.uniform([], seed, minval=0,
                                   maxval=len(RESIZE_METHODS),
                                   dtype=tf.int32))
    branches = [lambda m=method: _resize(image, size, m, False)
                for method in RESIZE_METHODS]
    resized = tf.switch_case(index, branches)
    resized.set_shape([None, None, image.shape[2]])
    return resized


def scale_boxes_to_pixel_coordinates(image: tf.Tensor, boxes: tf.Tensor,
                                     keypoints: Optional[tf.Tensor] = None
                                     ) -> Tuple[tf.Tensor, ...]:
  """Turns normalised boxes (and keypoints) into pixel coordinates.

  [ymin, xmin, ymax, xmax] becomes [ymin * height, xmin * width,
  ymax * height, xmax * width]; keypoint (y, x) becomes (y * height,
  x * width). Later steps that expect normalised boxes no longer apply.

  Args:
    image: [height, width, channels] image, returned unchanged.
    boxes: float32 [num_boxes, 4] normalised boxes.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
  Returns:
    (image, boxes float32 [num_boxes, 4] in pixels, then keypoints float32
    [num_boxes, num_keypoints, 2] in pixels where given).
  Raises:
    ValueError: image not rank 3.
  """
  image = image_resize.check_image(image, "scale_boxes_to_pixel_coordinates")
  hw = tf.cast(tf.shape(image)[:2], tf.float32)
  result = [image, tf.cast(boxes, tf.float32) * tf.tile(hw, [2])]
  if keypoints is not None:
    result.append(tf.cast(keypoints, tf.float32) * hw)
  return tuple(result)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable[..., Any], Tuple[Optional[str], ...]]:
  """tensor_dict keys of the positional arguments of this module's ops."""
  return {
      random_image_scale: (fields.image, fields.masks),
      random_downscale_to_target_pixels: (fields.image, fields.masks),
      random_resize_method: (fields.image,),
      scale_boxes_to_pixel_coordinates: (fields.image, fields.boxes,
                                         fields.keypoints),
      image_resize.resize_image: (fields.image, fields.masks),
  }
