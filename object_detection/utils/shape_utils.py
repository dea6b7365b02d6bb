"""Helpers for tensor shapes that mix static and dynamic dimensions.

`combined_static_and_dynamic_shape` is the one helper the package uses to
read a tensor's shape: it returns Python ints where the graph knows a
dimension and scalar int32 tensors where it does not, so code stays
static-shape friendly inside `tf.function` without losing dynamic support.
"""

from typing import List, Sequence, Union

import tensorflow as tf

Dim = Union[int, tf.Tensor]


def combined_static_and_dynamic_shape(tensor: tf.Tensor) -> List[Dim]:
  """Returns the shape of a tensor, static where known, dynamic elsewhere.

  Args:
    tensor: a tensor of any dtype whose rank is statically known.

  Returns:
    list with one entry per dimension: a Python int when the dimension is
    statically known, otherwise an int32 scalar tensor from `tf.shape`.

  Raises:
    ValueError: if the rank of `tensor` is not statically known.
  """
  tensor = tf.convert_to_tensor(tensor)
  static_shape = tensor.shape
  if static_shape.rank is None:
    raise ValueError(
        "combined_static_and_dynamic_shape: the rank of the tensor must be "
        "statically known")
  dynamic_shape = tf.shape(tensor)
  return [dim if dim is not None else dynamic_shape[index]
          for index, dim in enumerate(static_shape.as_list())]


def pad_or_clip_nd(tensor: tf.Tensor,
                   output_shape: Sequence[Union[int, None, tf.Tensor]]
                   ) -> tf.Tensor:
  """Pads with zeros or clips a tensor to `output_shape` in every dimension.

  Each dimension keeps its first `output_shape[i]` entries; if it is shorter
  it is padded with zeros at the end.

  Args:
    tensor: tensor of any dtype and statically known rank R.
    output_shape: length-R sequence; each entry is a Python int, an int32
      scalar tensor, or None to keep that dimension unchanged.

  Returns:
    tensor of the same dtype as `tensor` and shape `output_shape` (entries
    that are Python ints are also set statically).

  Raises:
    ValueError: if `output_shape` has a length different from the rank of
      `tensor`.
  """
  tensor = tf.convert_to_tensor(tensor)
  input_shape = combined_static_and_dynamic_shape(tensor)
  if len(output_shape) != len(input_shape):
    raise ValueError(
        "pad_or_clip_nd: output_shape has {} entries but the tensor has rank "
        "{}".format(len(output_shape), len(input_shape)))
  target_shape = [input_shape[i] if dim is None else dim
                  for i, dim in enumerate(output_shape)]
  clip_size = [tf.minimum(input_dim, target_dim)
               for input_dim, target_dim in zip(input_shape, target_shape)]
  clipped = tf.slice(tensor, tf.zeros([len(input_shape)], dtype=tf.int32),
                     tf.stack(clip_size))
  clipped_shape = tf.shape(clipped)
  # [R, 2]: no padding before, pad up to the target size after.
  paddings = tf.stack(
      [tf.zeros([len(input_shape)], dtype=tf.int32),
       tf.stack(target_shape) - clipped_shape], axis=1)
  padded = tf.pad(clipped, paddings)
  padded.set_shape([dim if isinstance(dim, int) else None
                    for dim in target_shape])
  return padded


def pad_or_clip_tensor(tensor: tf.Tensor, max_len: Dim) -> tf.Tensor:
  """Pads with zeros or clips the first dimension of a tensor to `max_len`.

  Args:
    tensor: tensor of any dtype and statically known rank >= 1, shape
      [N, ...].
    max_len: Python int or int32 scalar tensor, the output first dimension.

  Returns:
    tensor of the same dtype with shape [max_len, ...]; rows past N are zeros.

  Raises:
    ValueError: if the rank of `tensor` is 0 or unknown.
  """
  tensor = tf.convert_to_tensor(tensor)
  if tensor.shape.rank is None or tensor.shape.rank < 1:
    raise ValueError(
        "pad_or_clip_tensor: the tensor must have a statically known rank "
        ">= 1, got shape {}".format(tensor.shape))
  return pad_or_clip_nd(tensor, [max_len] + [None] * (tensor.shape.rank - 1))


def check_min_image_dim(min_dim: int, image_tensor: tf.Tensor) -> tf.Tensor:
  """Checks that an image's height and width are both at least `min_dim`.

  The check is done in Python when both dimensions are static, otherwise
  with a `tf.debugging` assertion that runs with the returned tensor.

  Args:
    min_dim: minimum allowed height and width, in pixels.
    image_tensor: float or uint8 [batch, height, width, channels] images.

  Returns:
    `image_tensor`, carrying a control dependency on the check when the
    size is only known at run time.

  Raises:
    ValueError: if the image is statically smaller than `min_dim` or its
      rank is not 4.
    tf.errors.InvalidArgumentError: at run time, if the dynamic size is
      smaller than `min_dim`.
  """
  image_tensor = tf.convert_to_tensor(image_tensor)
  if image_tensor.shape.rank != 4:
    raise ValueError(
        "check_min_image_dim: image_tensor must have rank 4 [batch, height, "
        "width, channels], got shape {}".format(image_tensor.shape))
  height = image_tensor.shape[1]
  width = image_tensor.shape[2]
  message = ("image size must be >= {} in both height and width".format(
      min_dim))
  if height is not None and width is not None:
    if height < min_dim or width < min_dim:
      raise ValueError("{}; got height {} and width {}".format(
          message, height, width))
    return image_tensor
  shape = tf.shape(image_tensor)
  check = tf.debugging.assert_greater_equal(
      tf.minimum(shape[1], shape[2]), min_dim, message=message)
  with tf.control_dependencies([check]):
    return tf.identity(image_tensor)
