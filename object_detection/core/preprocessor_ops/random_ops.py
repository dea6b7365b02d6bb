"""Random draws shared by the augmentation ops.

Every op takes a `seed` that is one of:
  - None: TensorFlow's stateful generator, unseeded (the TF OD API default).
  - a Python int: the stateful generator with that op-level seed (as in the
    TF OD API). Deterministic in eager code and in a single-threaded graph.
  - an int32/int64 [2] tensor: TensorFlow's stateless generators. The draw
    depends only on the seed, so it is the same whatever thread or order a
    parallel `tf.data` map runs in. `preprocessor.preprocess` derives one
    such seed per step from a per-example seed, which is how the input
    pipeline makes augmentation reproducible under a fixed seed.

Ops that draw several values derive one sub-seed per draw with `derive`,
so the draws are independent.

`PreprocessorCache` keeps the values drawn by an op so that a later call of
the same op with the same cache repeats them, as the TF OD API's
`preprocess_vars_cache` does (for example to augment an image and its
additional channels identically).
"""

from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import tensorflow as tf

Seed = Union[None, int, tf.Tensor]


class PreprocessorCache:
  """Random values drawn by augmentation ops, kept for reuse.

  Keys are (function_id, key) pairs of strings: the op's name and the
  name of the draw within the op.
  """

  def __init__(self):
    self._values: Dict[Tuple[str, str], tf.Tensor] = {}

  def clear(self) -> None:
    """Forgets every stored value."""
    self._values.clear()

  def get(self, function_id: str, key: str) -> Optional[tf.Tensor]:
    """The stored value, or None when that op has not drawn it yet."""
    return self._values.get((function_id, key))

  def update(self, function_id: str, key: str, value: tf.Tensor) -> None:
    """Stores a drawn value."""
    self._values[(function_id, key)] = value


def is_stateless(seed: Seed) -> bool:
  """Whether `seed` selects the stateless generators (a [2] tensor)."""
  return isinstance(seed, (tf.Tensor, tf.Variable)) or (
      hasattr(seed, "shape") and tuple(seed.shape) == (2,))


def derive(seed: Seed, salt: int) -> Seed:
  """An independent seed for the draw numbered `salt` within an op.

  Args:
    seed: the op's seed (None, a Python int or an int [2] tensor).
    salt: a small non-negative Python int, distinct per draw.
  Returns:
    None for None; seed + salt for an int (None stays unseeded); for a
    tensor, int64 [2] `stateless_fold_in(seed, salt)`.
  """
  if seed is None:
    return None
  if is_stateless(seed):
    return tf.random.experimental.stateless_fold_in(
        tf.cast(seed, tf.int64), salt)
  return int(seed) + salt


def uniform(shape: Sequence[int], seed: Seed, minval=0.0, maxval=1.0,
            dtype: tf.DType = tf.float32) -> tf.Tensor:
  """Uniform values in [minval, maxval) (integers: maxval excluded)."""
  if is_stateless(seed):
    return tf.random.stateless_uniform(shape, seed=tf.cast(seed, tf.int64),
                                       minval=minval, maxval=maxval,
                                       dtype=dtype)
  return tf.random.uniform(shape, minval=minval, maxval=maxval, dtype=dtype,
                           seed=seed)


def uniform_int(minval, maxval, seed: Seed) -> tf.Tensor:
  """int32 scalar uniform in [minval, maxval); minval if the range is empty."""
  minval = tf.cast(minval, tf.int32)
  maxval = tf.cast(maxval, tf.int32)
  draw = uniform([], seed, minval=minval,
                 maxval=tf.maximum(maxval, minval + 1), dtype=tf.int32)
  return tf.where(maxval > minval, draw, minval)


def normal(shape: Sequence[int], seed: Seed, mean=0.0, stddev=1.0,
           dtype: tf.DType = tf.float32) -> tf.Tensor:
  """Normally distributed values."""
  if is_stateless(seed):
    return tf.random.stateless_normal(shape, seed=tf.cast(seed, tf.int64),
                                      mean=mean, stddev=stddev, dtype=dtype)
  return tf.random.normal(shape, mean=mean, stddev=stddev, dtype=dtype,
                          seed=seed)


def coin(probability: float, seed: Seed) -> tf.Tensor:
  """bool scalar, True with the given probability."""
  return uniform([], seed) < probability


def permutation(size: int, seed: Seed) -> tf.Tensor:
  """int32 [size] random permutation of 0..size-1."""
  return tf.argsort(uniform([size], seed))


def sample_distorted_bounding_box(image_size: tf.Tensor,
                                  bounding_boxes: tf.Tensor, seed: Seed,
                                  **kwargs) -> Tuple[tf.Tensor, tf.Tensor,
                                                     tf.Tensor]:
  """`tf.image.sample_distorted_bounding_box`, stateless for tensor seeds.

  Args:
    image_size: int32 [3] height, width, channels.
    bounding_boxes: float32 [1, num_boxes, 4] normalised boxes.
    seed: see the module docstring.
    **kwargs: min_object_covered, aspect_ratio_range, area_range,
      max_attempts, use_image_if_no_bounding_boxes.
  Returns:
    begin int32 [3], size int32 [3], and the chosen box float32 [1, 1, 4].
  """
  if is_stateless(seed):
    return tf.image.stateless_sample_distorted_bounding_box(
        image_size, bounding_boxes, seed=tf.cast(seed, tf.int64), **kwargs)
  return tf.image.sample_distorted_bounding_box(
      image_size, bounding_boxes, seed=seed or 0, **kwargs)


def cached(cache: Optional[PreprocessorCache], function_id: str, key: str,
           draw: Callable[[], tf.Tensor]) -> tf.Tensor:
  """`draw()`, or the value stored in `cache` under (function_id, key).

  A new draw is stored in the cache so the next call repeats it.
  """
  if cache is None:
    return draw()
  value = cache.get(function_id, key)
  if value is None:
    value = draw()
    cache.update(function_id, key, value)
  return value
