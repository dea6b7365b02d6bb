"""Pixel-value ops: normalisation, per-pixel scaling, mean subtraction, JPEG.

Images are float32 [height, width, channels], with pixel values in
[0, 255] unless an op says otherwise (normalize_image and
subtract_channel_mean work in whatever range they are given). These ops
change only the image.
"""

from typing import Callable, Dict, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import random_ops

PreprocessorCache = random_ops.PreprocessorCache


def normalize_image(image: tf.Tensor, original_minval: float,
                    original_maxval: float, target_minval: float,
                    target_maxval: float) -> tf.Tensor:
  """Maps pixel values linearly from one range to another.

  value' = (value - original_minval) * (target_maxval - target_minval)
           / (original_maxval - original_minval) + target_minval
  (no clipping).

  Args:
    image: [height, width, channels] image of any numeric dtype.
    original_minval: value mapped to target_minval.
    original_maxval: value mapped to target_maxval.
    target_minval: see above.
    target_maxval: see above.
  Returns:
    float32 [height, width, channels] image.
  Raises:
    ValueError: original_minval equals original_maxval.
  """
  if float(original_maxval) == float(original_minval):
    raise ValueError(
        "normalize_image: original_minval and original_maxval must differ, "
        "both are {}".format(original_minval))
  image = tf.cast(tf.convert_to_tensor(image), tf.float32)
  scale = ((float(target_maxval) - float(target_minval)) /
           (float(original_maxval) - float(original_minval)))
  return (image - float(original_minval)) * scale + float(target_minval)


def random_pixel_value_scale(image: tf.Tensor, minval: float = 0.9,
                             maxval: float = 1.1,
                             seed: random_ops.Seed = None,
                             preprocess_vars_cache: Optional[
                                 PreprocessorCache] = None) -> tf.Tensor:
  """Multiplies every value by its own random factor in [minval, maxval).

  Args:
    image: float32 [height, width, channels] image in [0, 255].
    minval: smallest factor.
    maxval: largest factor (excluded).
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image clipped to [0, 255].
  """
  image = tf.cast(tf.convert_to_tensor(image), tf.float32)
  factors = random_ops.cached(
      preprocess_vars_cache, "random_pixel_value_scale", "color_coef",
      lambda: random_ops.uniform(tf.shape(image), seed, minval, maxval))
  return tf.clip_by_value(image * factors, 0.0, 255.0)


def subtract_channel_mean(image: tf.Tensor,
                          means: Optional[Sequence[float]] = None
                          ) -> tf.Tensor:
  """Subtracts a per-channel mean.

  Args:
    image: float32 [height, width, channels] image (channels static).
    means: one float per channel.
  Returns:
    float32 [height, width, channels] image - means.
  Raises:
    ValueError: the image is not rank 3, or means does not have one value
      per channel.
  """
  image = tf.convert_to_tensor(image)
  if image.shape.rank != 3:
    raise ValueError(
        "subtract_channel_mean: image must be [height, width, channels], got "
        "shape {}".format(image.shape))
  means = list(means or ())
  if image.shape[-1] is None or len(means) != image.shape[-1]:
    raise ValueError(
        "subtract_channel_mean.means must have one value per channel: got "
        "{} values for an image with {} channels".format(
            len(means), image.shape[-1]))
  return tf.cast(image, tf.float32) - tf.constant(means, tf.float32)


def random_jpeg_quality(image: tf.Tensor, min_jpeg_quality: int = 0,
                        max_jpeg_quality: int = 100,
                        random_coef: float = 0.0,
                        seed: random_ops.Seed = None,
                        preprocess_vars_cache: Optional[
                            PreprocessorCache] = None) -> tf.Tensor:
  """JPEG-encodes and decodes the image at a random quality.

  With probability random_coef the image is returned unchanged; otherwise
  it is cast to uint8 (clipped to [0, 255], fractions truncated) and
  re-encoded at a quality drawn from [min_jpeg_quality, max_jpeg_quality).

  Args:
    image: float32 [height, width, channels] image in [0, 255], with 1 or 3
      channels.
    min_jpeg_quality: lowest quality, in [0, 100].
    max_jpeg_quality: highest quality (excluded), in [0, 100].
    random_coef: chance of leaving the image unchanged.
    seed: see random_ops.
    preprocess_vars_cache: optional PreprocessorCache.
  Returns:
    float32 [height, width, channels] image.
  Raises:
    ValueError: qualities outside [0, 100] or min_jpeg_quality >=
      max_jpeg_quality.
  """
  if not 0 <= min_jpeg_quality < max_jpeg_quality <= 100:
    raise ValueError(
        "random_jpeg_quality needs 0 <= min_jpeg_quality < max_jpeg_quality "
        "<= 100, got min_jpeg_quality={} max_jpeg_quality={}".format(
            min_jpeg_quality, max_jpeg_quality))
  image = tf.cast(tf.convert_to_tensor(image), tf.float32)
  draw = random_ops.cached(
      preprocess_vars_cache, "random_jpeg_quality", "do_encoding",
      lambda: random_ops.uniform([], random_ops.derive(seed, 0)))
  quality = random_ops.cached(
      preprocess_vars_cache, "random_jpeg_quality", "quality",
      lambda: random_ops.uniform([], random_ops.derive(seed, 1),
                                 min_jpeg_quality, max_jpeg_quality,
                                 dtype=tf.int32))

  def encode() -> tf.Tensor:
    image_uint8 = tf.cast(tf.clip_by_value(image, 0.0, 255.0), tf.uint8)
    encoded = tf.image.adjust_jpeg_quality(image_uint8, quality)
    return tf.reshape(tf.cast(encoded, tf.float32), tf.shape(image))

  return tf.cond(draw >= random_coef, encode, lambda: image)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable, Tuple[Optional[str], ...]]:
  """The tensor_dict keys of each pixel-value op's positional arguments."""
  image_only = (fields.image,)
  return {
      normalize_image: image_only,
      random_pixel_value_scale: image_only,
      subtract_channel_mean: image_only,
      random_jpeg_quality: image_only,
  }
