"""Builds an image resizing function from an `ImageResizer` proto.

The returned function has the signature

    image_resizer_fn(image, masks=None) ->
        [resized_image, (resized_masks,) resized_image_shape]

for one [height, width, channels] image, optional [num_instances, height,
width] masks, and int32 [3] resized_image_shape (the size of the content
before any padding). Variants: keep_aspect_ratio_resizer (with
pad_to_max_dimension and per_channel_pad_value), fixed_shape_resizer,
identity_resizer, conditional_shape_resizer, pad_to_multiple_resizer.
With convert_to_grayscale the resized image becomes 1-channel.
"""

import functools
from typing import Callable, List, Optional

import tensorflow as tf

from object_detection.core import preprocessor
from object_detection.protos import image_resizer_pb2

ImageResizerFn = Callable[..., List[tf.Tensor]]

_RESIZE_METHODS = {
    image_resizer_pb2.BILINEAR: tf.image.ResizeMethod.BILINEAR,
    image_resizer_pb2.NEAREST_NEIGHBOR: tf.image.ResizeMethod.NEAREST_NEIGHBOR,
    image_resizer_pb2.BICUBIC: tf.image.ResizeMethod.BICUBIC,
    image_resizer_pb2.AREA: tf.image.ResizeMethod.AREA,
}


def _check_positive(config, names, path: str) -> None:
  for name in names:
    value = getattr(config, name)
    if value <= 0:
      raise ValueError("{}.{}: must be > 0, got {}".format(path, name, value))


def _keep_aspect_ratio(config, path: str) -> ImageResizerFn:
  _check_positive(config, ("min_dimension", "max_dimension"), path)
  if config.min_dimension > config.max_dimension:
    raise ValueError(
        "{}.min_dimension: must be <= max_dimension ({}), got {}".format(
            path, config.max_dimension, config.min_dimension))
  per_channel_pad_value = (0, 0, 0)
  if config.per_channel_pad_value:
    per_channel_pad_value = tuple(config.per_channel_pad_value)
  return functools.partial(
      preprocessor.resize_to_range, min_dimension=config.min_dimension,
      max_dimension=config.max_dimension,
      method=_RESIZE_METHODS[config.resize_method],
      pad_to_max_dimension=config.pad_to_max_dimension,
      per_channel_pad_value=per_channel_pad_value)


def _fixed_shape(config, path: str) -> ImageResizerFn:
  _check_positive(config, ("height", "width"), path)
  return functools.partial(
      preprocessor.resize_image, new_height=config.height,
      new_width=config.width, method=_RESIZE_METHODS[config.resize_method])


def _identity(config, path: str) -> ImageResizerFn:
  del config, path

  def identity_resizer(image: tf.Tensor, masks: Optional[tf.Tensor] = None,
                       **kwargs) -> List[tf.Tensor]:
    del kwargs
    result = [image]
    if masks is not None:
      result.append(masks)
    result.append(tf.shape(image))
    return result
  return identity_resizer


def _conditional_shape(config, path: str) -> ImageResizerFn:
  _check_positive(config, ("size_threshold",), path)
  method = _RESIZE_METHODS[config.resize_method]
  condition = image_resizer_pb2.ConditionalShapeResizer
  if config.condition == condition.GREATER:
    return functools.partial(preprocessor.resize_to_max_dimension,
                             max_dimension=config.size_threshold,
                             method=method)
  if config.condition == condition.SMALLER:
    return functools.partial(preprocessor.resize_to_min_dimension,
                             min_dimension=config.size_threshold,
                             method=method)
  raise ValueError("{}.condition: must be GREATER or SMALLER, got {}".format(
      path, condition.ResizeCondition.Name(config.condition)))


def _pad_to_multiple(config, path: str) -> ImageResizerFn:
  _check_positive(config, ("multiple",), path)
  return functools.partial(preprocessor.resize_pad_to_multiple,
                           multiple=config.multiple)


_BUILDERS = {
    "keep_aspect_ratio_resizer": _keep_aspect_ratio,
    "fixed_shape_resizer": _fixed_shape,
    "identity_resizer": _identity,
    "conditional_shape_resizer": _conditional_shape,
    "pad_to_multiple_resizer": _pad_to_multiple,
}


def _with_grayscale(resizer_fn: ImageResizerFn) -> ImageResizerFn:
  """Wraps a resizer so that its output image is converted to grayscale."""

  def grayscale_resizer(image: tf.Tensor, masks: Optional[tf.Tensor] = None
                        ) -> List[tf.Tensor]:
    result = resizer_fn(image, masks)
    grayscale = tf.image.rgb_to_grayscale(result[0])
    shape = tf.concat([tf.cast(result[-1][:-1], tf.int32), [1]], axis=0)
    return [grayscale] + result[1:-1] + [shape]
  return grayscale_resizer


def build(image_resizer_config: image_resizer_pb2.ImageResizer, *,
          path: str = "image_resizer") -> ImageResizerFn:
  """Builds the resizer selected by the `image_resizer_oneof` field.

  Args:
    image_resizer_config: an image_resizer_pb2.ImageResizer.
    path: config path of the message, used in error messages (e.g.
      "model.faster_rcnn.image_resizer").

  Returns:
    image_resizer_fn(image, masks=None) -> [resized_image, (resized_masks,)
    resized_image_shape]; see the module docstring.

  Raises:
    TypeError: for a message of another type.
    ValueError: if no resizer is set or a value is out of range; the
      message names the field.
  """
  if not isinstance(image_resizer_config, image_resizer_pb2.ImageResizer):
    raise TypeError("{}: expected an ImageResizer message, got {}".format(
        path, type(image_resizer_config).__name__))
  kind = image_resizer_config.WhichOneof("image_resizer_oneof")
  if kind is None:
    raise ValueError("{}: no image resizer set; expected one of: {}".format(
        path, ", ".join(_BUILDERS)))
  if kind not in _BUILDERS:
    raise ValueError("{}.{}: not supported; supported: {}".format(
        path, kind, ", ".join(_BUILDERS)))
  config = getattr(image_resizer_config, kind)
  resizer_fn = _BUILDERS[kind](config, "{}.{}".format(path, kind))
  if getattr(config, "convert_to_grayscale", False):
    return _with_grayscale(resizer_fn)
  return resizer_fn
