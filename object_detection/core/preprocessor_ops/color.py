"""Colour augmentation ops (the TF OD API's colour preprocessing steps).

Images are float32 [height, width, channels] with pixel values in
[0, 255]. As in the TF OD API, the tf.image colour adjustments are applied
to the image scaled to [0, 1], the result is scaled back and clipped to
[0, 255]. Only the first three (RGB) channels are changed; further channels
(e.g. depth) pass through. Boxes and other fields are never touched, so
every op here takes and returns only the image.
"""

from typing import Callable, Dict, Optional, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops

PreprocessorCache = random_ops.PreprocessorCache

# Luma weights of the TF OD API's grayscale conversion (ITU-R BT.601).
_RGB_TO_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


def _on_rgb(image: tf.Tensor, fn: Callable[[tf.Tensor], tf.Tensor]
            ) -> tf.Tensor:
  """Applies fn to the first three channels, keeping any others."""
  rgb = fn(image[:, :, :3])
  return tf.concat([rgb, image[:, :, 3:]], axis=-1)


def _in_unit_range(fn: Callable[[tf.Tensor], tf.Tensor]
                   ) -> Callable[[tf.Tensor], tf.Tensor]:
  """fn applied to image / 255, scaled back and clipped to [0, 255]."""
  def apply(image: tf.Tensor) -> tf.Tensor:
    return tf.clip_by_value(fn(image / 255.0) * 255.0, 0.0, 255.0)
  return apply


def _to_float(image: tf.Tensor) -> tf.Tensor:
  return tf.cast(tf.convert_to_tensor(image), tf.float32)


def rgb_to_gray(image: tf.Tensor) -> tf.Tensor:
  """Converts an RGB image to one grayscale channel.

  gray = 0.2989 R + 0.5870 G + 0.1140 B, in the image's own value range.

  Args:
    image: float32 [height, width, 3] RGB image.
  Returns:
    float32 [height, width, 1] grayscale image.
  """
  image = _to_float(image)
  return tf.reduce_sum(image * tf.constant(_RGB_TO_GRAY_WEIGHTS), axis=-1,
                       keepdims=True)


def random_rgb_to_gray(image: tf.Tensor, probability: float = 0.1,
                       seed: random_ops.Seed = None,
                       preprocess_vars_cache: Optional[PreprocessorCache] = None
                       ) -> tf.Tensor:
  """With the given probability, replaces the RGB channels by their gray.

  Args:
    image: float32 [height, width, channels] image, channels >= 3.
    probability: chance of converting, in [0, 1].
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image; when converted, the three RGB
    channels all hold the gray value.
  """
  image = _to_float(image)
  draw = random_ops.cached(preprocess_vars_cache, "random_rgb_to_gray",
                           "do_gray", lambda: random_ops.uniform([], seed))
  to_gray = lambda rgb: tf.tile(rgb_to_gray(rgb), [1, 1, 3])
  return tf.cond(draw > probability, lambda: image,
                 lambda: _on_rgb(image, to_gray))


def adjust_gamma(image: tf.Tensor, gamma: float = 1.0,
                 gain: float = 1.0) -> tf.Tensor:
  """Gamma correction: 255 * gain * (image / 255) ** gamma, clipped.

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    gamma: non-negative exponent.
    gain: constant multiplier.
  Returns:
    float32 [height, width, channels] image in [0, 255].
  """
  image = _to_float(image)
  return _on_rgb(image, _in_unit_range(
      lambda x: tf.image.adjust_gamma(x, gamma, gain)))


def _random_adjust(image: tf.Tensor, op_name: str, key: str,
                   value_range: Tuple[float, float],
                   adjust: Callable[[tf.Tensor, tf.Tensor], tf.Tensor],
                   seed: random_ops.Seed,
                   preprocess_vars_cache: Optional[PreprocessorCache]
                   ) -> tf.Tensor:
  """`adjust(image / 255, v) * 255` with v drawn (and cached) in value_range.

  The value is stored under (op_name, key), the TF OD API's cache keys.
  """
  image = _to_float(image)
  value = random_ops.cached(
      preprocess_vars_cache, op_name, key,
      lambda: random_ops.uniform([], seed, *value_range))
  return _on_rgb(image, _in_unit_range(lambda x: adjust(x, value)))


def random_adjust_brightness(image: tf.Tensor, max_delta: float = 0.2,
                             seed: random_ops.Seed = None,
                             preprocess_vars_cache: Optional[
                                 PreprocessorCache] = None) -> tf.Tensor:
  """Adds a random delta in [-max_delta, max_delta) to image / 255.

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    max_delta: largest brightness change, in units of the [0, 1] range.
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image in [0, 255].
  """
  return _random_adjust(image, "random_adjust_brightness", "delta",
                        (-max_delta, max_delta), tf.image.adjust_brightness,
                        seed, preprocess_vars_cache)


def random_adjust_contrast(image: tf.Tensor, min_delta: float = 0.8,
                           max_delta: float = 1.25,
                           seed: random_ops.Seed = None,
                           preprocess_vars_cache: Optional[
                               PreprocessorCache] = None) -> tf.Tensor:
  """Scales each channel's distance to its mean by a random factor.

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    min_delta: smallest contrast factor.
    max_delta: largest contrast factor (excluded).
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image in [0, 255].
  """
  return _random_adjust(image, "random_adjust_contrast", "contrast_factor",
                        (min_delta, max_delta), tf.image.adjust_contrast,
                        seed, preprocess_vars_cache)


def random_adjust_hue(image: tf.Tensor, max_delta: float = 0.02,
                      seed: random_ops.Seed = None,
                      preprocess_vars_cache: Optional[
                          PreprocessorCache] = None) -> tf.Tensor:
  """Rotates the hue by a random delta in [-max_delta, max_delta).

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    max_delta: largest hue change, as a fraction of the colour wheel.
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image in [0, 255].
  """
  return _random_adjust(image, "random_adjust_hue", "delta",
                        (-max_delta, max_delta), tf.image.adjust_hue,
                        seed, preprocess_vars_cache)


def random_adjust_saturation(image: tf.Tensor, min_delta: float = 0.8,
                             max_delta: float = 1.25,
                             seed: random_ops.Seed = None,
                             preprocess_vars_cache: Optional[
                                 PreprocessorCache] = None) -> tf.Tensor:
  """Multiplies the saturation by a random factor.

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    min_delta: smallest saturation factor.
    max_delta: largest saturation factor (excluded).
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image in [0, 255].
  """
  return _random_adjust(image, "random_adjust_saturation",
                        "saturation_factor", (min_delta, max_delta),
                        tf.image.adjust_saturation, seed,
                        preprocess_vars_cache)


def random_distort_color(image: tf.Tensor, color_ordering: int = 0,
                         seed: random_ops.Seed = None,
                         preprocess_vars_cache: Optional[
                             PreprocessorCache] = None) -> tf.Tensor:
  """Random brightness, saturation, hue and contrast, in a fixed order.

  color_ordering 0: brightness (max_delta 32/255), saturation [0.5, 1.5),
  hue (max_delta 0.2), contrast [0.5, 1.5). color_ordering 1: brightness,
  contrast, saturation, hue with the same ranges. Each step draws (and
  caches) its value as the single op of that name does.

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    color_ordering: 0 or 1, the order of the distortions.
    seed: see random_ops (an extension: the TF OD API op is unseeded).
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image in [0, 255].
  Raises:
    ValueError: color_ordering is not 0 or 1.
  """
  brightness = lambda x, s: random_adjust_brightness(
      x, 32.0 / 255.0, s, preprocess_vars_cache)
  saturation = lambda x, s: random_adjust_saturation(
      x, 0.5, 1.5, s, preprocess_vars_cache)
  hue = lambda x, s: random_adjust_hue(x, 0.2, s, preprocess_vars_cache)
  contrast = lambda x, s: random_adjust_contrast(
      x, 0.5, 1.5, s, preprocess_vars_cache)
  orders = {0: (brightness, saturation, hue, contrast),
            1: (brightness, contrast, saturation, hue)}
  if color_ordering not in orders:
    raise ValueError("random_distort_color.color_ordering must be 0 or 1, "
                     "got {!r}".format(color_ordering))
  image = _to_float(image)
  for index, step in enumerate(orders[color_ordering]):
    image = step(image, random_ops.derive(seed, index))
  return image


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable, Tuple[Optional[str], ...]]:
  """The tensor_dict keys of each colour op's positional arguments."""
  image_only = (fields.image,)
  return {
      rgb_to_gray: image_only,
      random_rgb_to_gray: image_only,
      adjust_gamma: image_only,
      random_adjust_brightness: image_only,
      random_adjust_contrast: image_only,
      random_adjust_hue: image_only,
      random_adjust_saturation: image_only,
      random_distort_color: image_only,
  }
