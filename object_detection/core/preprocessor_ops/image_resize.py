"""Image resizing ops used by the image resizers.

Images are [height, width, channels] tensors (one image, no batch axis);
instance masks are [num_instances, height, width]. Every function returns
a list: [resized_image, resized_masks (only when masks are given),
resized_image_shape], where resized_image_shape is int32 [3] holding the
height, width and channels of the image content before any padding.

Interpolation follows the TF Object Detection API, whose resizes are the
TF1 ones: pixel centres are not shifted by half a pixel
(half_pixel_centers=False) and `align_corners` is honoured. Bilinear,
bicubic and area resizing return float32; nearest neighbour keeps the
dtype. Masks are always resized with nearest neighbour.
"""

from typing import Callable, List, Optional, Sequence

import tensorflow as tf

from object_detection.utils import shape_utils

ResizeMethod = tf.image.ResizeMethod


def _resize_4d(images: tf.Tensor, size: tf.Tensor, method: str,
               align_corners: bool) -> tf.Tensor:
  """Resizes [batch, h, w, c] images with TF1 (legacy) pixel alignment.

  Images that already have the requested size are passed through (cast to
  float32 except for nearest neighbour): every method maps pixel (y, x)
  onto itself at scale 1 with weight 1, so the result is the same, and a
  dataset stored at the network's input size pays for no resize.
  """
  images = tf.convert_to_tensor(images)
  size = tf.convert_to_tensor(size, tf.int32)

  def unchanged() -> tf.Tensor:
    if method == ResizeMethod.NEAREST_NEIGHBOR:
      return tf.identity(images)
    return tf.cast(images, tf.float32)

  def resized() -> tf.Tensor:
    return _resize_4d_op(images, size, method, align_corners)

  static_size = tf.get_static_value(size)
  static_hw = images.shape[1:3]
  if static_size is not None and static_hw.is_fully_defined():
    return unchanged() if list(static_size) == static_hw.as_list() else (
        resized())
  result = tf.cond(
      tf.reduce_all(tf.equal(tf.shape(images)[1:3], size)), unchanged,
      resized)
  if static_size is not None:
    result.set_shape(images.shape[:1].concatenate(
        list(static_size)).concatenate(images.shape[3:]))
  return result


def _resize_4d_op(images: tf.Tensor, size: tf.Tensor, method: str,
                  align_corners: bool) -> tf.Tensor:
  """The resize op of `method` (TF1 pixel alignment), always run."""
  if method == ResizeMethod.BILINEAR:
    return tf.raw_ops.ResizeBilinear(images=images, size=size,
                                     align_corners=align_corners,
                                     half_pixel_centers=False)
  if method == ResizeMethod.NEAREST_NEIGHBOR:
    return tf.raw_ops.ResizeNearestNeighbor(images=images, size=size,
                                            align_corners=align_corners,
                                            half_pixel_centers=False)
  if method == ResizeMethod.BICUBIC:
    return tf.raw_ops.ResizeBicubic(images=images, size=size,
                                    align_corners=align_corners,
                                    half_pixel_centers=False)
  if method == ResizeMethod.AREA:
    return tf.raw_ops.ResizeArea(images=images, size=size,
                                 align_corners=align_corners)
  raise ValueError(
      "resize method must be one of bilinear, nearest, bicubic, area; got "
      "{!r}".format(method))


def _resize_image(image: tf.Tensor, size: tf.Tensor, method: str,
                  align_corners: bool) -> tf.Tensor:
  """Resizes one [h, w, c] image to size (int32 [2])."""
  return _resize_4d(image[tf.newaxis], size, method, align_corners)[0]


def _resize_masks(masks: tf.Tensor, size: tf.Tensor,
                  align_corners: bool) -> tf.Tensor:
  """Nearest-neighbour resize of [num_instances, h, w] masks."""
  resized = _resize_4d(masks[..., tf.newaxis], size,
                       ResizeMethod.NEAREST_NEIGHBOR, align_corners)
  return resized[..., 0]


def check_image(image: tf.Tensor, op_name: str) -> tf.Tensor:
  """The image as a tensor; ValueError naming op_name unless rank 3."""
  image = tf.convert_to_tensor(image)
  if image.shape.rank != 3:
    raise ValueError(
        "{}: image must have rank 3 [height, width, channels], got shape "
        "{}".format(op_name, image.shape))
  return image


def _static_range_size(height: int, width: int, min_dimension: int,
                       max_dimension: Optional[int]) -> List[int]:
  """[new_height, new_width] for resize_to_range with a static input."""
  large_scale = min_dimension / float(min(height, width))
  new_size = [int(round(height * large_scale)),
              int(round(width * large_scale))]
  if max_dimension and max(new_size) > max_dimension:
    small_scale = max_dimension / float(max(height, width))
    new_size = [int(round(height * small_scale)),
                int(round(width * small_scale))]
  return new_size


def _dynamic_range_size(height: tf.Tensor, width: tf.Tensor,
                        min_dimension: int,
                        max_dimension: Optional[int]) -> tf.Tensor:
  """int32 [2] new size for resize_to_range with a dynamic input."""
  height = tf.cast(height, tf.float32)
  width = tf.cast(width, tf.float32)
  large_scale = min_dimension / tf.minimum(height, width)
  large_size = tf.cast(tf.round(tf.stack([height, width]) * large_scale),
                       tf.int32)
  if not max_dimension:
    return large_size
  small_scale = max_dimension / tf.maximum(height, width)
  small_size = tf.cast(tf.round(tf.stack([height, width]) * small_scale),
                       tf.int32)
  return tf.where(tf.reduce_max(large_size) > max_dimension, small_size,
                  large_size)


def resize_to_range(image: tf.Tensor,
                    masks: Optional[tf.Tensor] = None,
                    min_dimension: Optional[int] = None,
                    max_dimension: Optional[int] = None,
                    method: str = ResizeMethod.BILINEAR,
                    align_corners: bool = False,
                    pad_to_max_dimension: bool = False,
                    per_channel_pad_value: Sequence[float] = (0, 0, 0)
                    ) -> List[tf.Tensor]:
  """Resizes keeping the aspect ratio so the image fits a size range.

  The smaller side becomes min_dimension unless the larger side would then
  exceed max_dimension, in which case the larger side becomes
  max_dimension. New sides are rounded to the nearest integer (Python
  round, half to even).

  Args:
    image: [height, width, channels] image.
    masks: optional [num_instances, height, width] masks.
    min_dimension: target size of the smaller side, in pixels.
    max_dimension: largest allowed size of the larger side; None or 0 for
      no limit.
    method: a tf.image.ResizeMethod (bilinear, nearest, bicubic, area).
    align_corners: align the corner pixels of input and output.
    pad_to_max_dimension: pad the result at the bottom and right to
      [max_dimension, max_dimension] (masks with zeros).
    per_channel_pad_value: pad value of each image channel; its length
      must equal the number of channels when padding.

  Returns:
    [resized_image, (resized_masks), resized_image_shape]: the image
    [new_height, new_width, channels] (or [max_dimension, max_dimension,
    channels] when padding), masks [num_instances, new_height, new_width]
    (padded likewise) and int32 [3] = [new_height, new_width, channels],
    the unpadded size.

  Raises:
    ValueError: if image is not rank 3, or padding is requested without
      max_dimension or with a per_channel_pad_value of the wrong length.
  """
  image = tf.convert_to_tensor(image)
  check_image(image, "resize_to_range")
  if pad_to_max_dimension and not max_dimension:
    raise ValueError(
        "resize_to_range: pad_to_max_dimension needs max_dimension > 0")
  with tf.name_scope("ResizeToRange"):
    height, width, channels = shape_utils.combined_static_and_dynamic_shape(
        image)
    if isinstance(height, int) and isinstance(width, int):
      new_size = tf.constant(
          _static_range_size(height, width, min_dimension, max_dimension),
          tf.int32)
    else:
      new_size = _dynamic_range_size(height, width, min_dimension,
                                     max_dimension)
    new_image = _resize_image(image, new_size, method, align_corners)
    if pad_to_max_dimension:
      new_image = _pad_per_channel(new_image, new_size, max_dimension,
                                   per_channel_pad_value)
    result = [new_image]
    if masks is not None:
      new_masks = _resize_masks(tf.convert_to_tensor(masks), new_size,
                                align_corners)
      if pad_to_max_dimension:
        new_masks = tf.pad(
            new_masks, [[0, 0], [0, max_dimension - new_size[0]],
                        [0, max_dimension - new_size[1]]])
        new_masks.set_shape([None, max_dimension, max_dimension])
      result.append(new_masks)
    result.append(tf.concat([new_size, [channels]], axis=0))
    return result


def _pad_per_channel(image: tf.Tensor, size: tf.Tensor, max_dimension: int,
                     per_channel_pad_value: Sequence[float]) -> tf.Tensor:
  """Pads [h, w, c] bottom/right to max_dimension with a value per channel."""
  channels = image.shape[2]
  if channels is None or len(per_channel_pad_value) != channels:
    raise ValueError(
        "resize_to_range: per_channel_pad_value has {} values but the image "
        "has {} channels".format(len(per_channel_pad_value), channels))
  pad_value = tf.constant(per_channel_pad_value, image.dtype)
  paddings = [[0, max_dimension - size[0]], [0, max_dimension - size[1]],
              [0, 0]]
  # Pad with 0, then add the pad value wherever the pixel is padding.
  padded = tf.pad(image, paddings)
  is_content = tf.pad(tf.ones_like(image[..., :1]), paddings)
  padded += (1 - is_content) * pad_value
  padded.set_shape([max_dimension, max_dimension, channels])
  return padded


def resize_image(image: tf.Tensor,
                 masks: Optional[tf.Tensor] = None,
                 new_height: int = 600,
                 new_width: int = 1024,
                 method: str = ResizeMethod.BILINEAR,
                 align_corners: bool = False) -> List[tf.Tensor]:
  """Resizes an image (and masks) to a fixed size, ignoring aspect ratio.

  Args:
    image: [height, width, channels] image.
    masks: optional [num_instances, height, width] masks.
    new_height: output height in pixels.
    new_width: output width in pixels.
    method: a tf.image.ResizeMethod.
    align_corners: align the corner pixels of input and output.

  Returns:
    [resized_image [new_height, new_width, channels], (resized_masks
    [num_instances, new_height, new_width]), int32 [3] resized shape].

  Raises:
    ValueError: if image is not rank 3.
  """
  image = tf.convert_to_tensor(image)
  check_image(image, "resize_image")
  with tf.name_scope("ResizeImage"):
    size = tf.constant([new_height, new_width], tf.int32)
    channels = shape_utils.combined_static_and_dynamic_shape(image)[2]
    result = [_resize_image(image, size, method, align_corners)]
    if masks is not None:
      result.append(_resize_masks(tf.convert_to_tensor(masks), size,
                                  align_corners))
    result.append(tf.stack([new_height, new_width, channels]))
    return result


def _resize_side_to_limit(image: tf.Tensor, masks: Optional[tf.Tensor],
                          limit: int, pick_side: Callable[..., tf.Tensor],
                          clamp: Callable[..., tf.Tensor], method: str
                          ) -> List[tf.Tensor]:
  """Scales image and masks so that one side is clamped to a limit.

  Args:
    image: rank-3 [height, width, channels] image.
    masks: optional [num_instances, height, width] masks.
    limit: the bound, in pixels, of the picked side.
    pick_side: tf.minimum (the smaller side) or tf.maximum (the larger side).
    clamp: tf.maximum (raise the side to at least limit) or tf.minimum
      (lower it to at most limit).
    method: a tf.image.ResizeMethod.

  Returns:
    [resized_image, (resized_masks), int32 [3] resized shape]; both sides are
    scaled by clamp(side, limit) / side and truncated, corners aligned.
  """
  shape = tf.shape(image)
  channels = shape_utils.combined_static_and_dynamic_shape(image)[2]
  side = pick_side(shape[0], shape[1])
  ratio = (tf.cast(clamp(side, limit), tf.float32) /
           tf.cast(side, tf.float32))
  size = tf.cast(tf.cast(shape[:2], tf.float32) * ratio, tf.int32)
  result = [_resize_image(image, size, method, align_corners=True)]
  if masks is not None:
    result.append(_resize_masks(tf.convert_to_tensor(masks), size,
                                align_corners=True))
  result.append(tf.concat([size, [channels]], axis=0))
  return result


def resize_to_min_dimension(image: tf.Tensor,
                            masks: Optional[tf.Tensor] = None,
                            min_dimension: int = 600,
                            method: str = ResizeMethod.BILINEAR
                            ) -> List[tf.Tensor]:
  """Upscales so the smaller side is at least min_dimension.

  Images whose smaller side is already >= min_dimension keep their size.
  New sides are truncated to integers; corners are aligned.

  Args:
    image: [height, width, channels] image.
    masks: optional [num_instances, height, width] masks.
    min_dimension: smallest allowed size of the smaller side.
    method: a tf.image.ResizeMethod.

  Returns:
    [resized_image, (resized_masks), int32 [3] resized shape].

  Raises:
    ValueError: if image is not rank 3.
  """
  image = tf.convert_to_tensor(image)
  check_image(image, "resize_to_min_dimension")
  with tf.name_scope("ResizeGivenMinDimension"):
    return _resize_side_to_limit(image, masks, min_dimension, tf.minimum,
                                 tf.maximum, method)


def resize_to_max_dimension(image: tf.Tensor,
                            masks: Optional[tf.Tensor] = None,
                            max_dimension: int = 600,
                            method: str = ResizeMethod.BILINEAR
                            ) -> List[tf.Tensor]:
  """Downscales so the larger side is at most max_dimension.

  Images whose larger side is already <= max_dimension keep their size.
  New sides are truncated to integers; corners are aligned.

  Args:
    image: [height, width, channels] image.
    masks: optional [num_instances, height, width] masks.
    max_dimension: largest allowed size of the larger side.
    method: a tf.image.ResizeMethod.

  Returns:
    [resized_image, (resized_masks), int32 [3] resized shape].

  Raises:
    ValueError: if image is not rank 3.
  """
  image = tf.convert_to_tensor(image)
  check_image(image, "resize_to_max_dimension")
  with tf.name_scope("ResizeGivenMaxDimension"):
    return _resize_side_to_limit(image, masks, max_dimension, tf.maximum,
                                 tf.minimum, method)


def resize_pad_to_multiple(image: tf.Tensor,
                           masks: Optional[tf.Tensor] = None,
                           multiple: int = 1) -> List[tf.Tensor]:
  """Pads bottom and right with zeros so both sides are multiples of N.

  Args:
    image: [height, width, channels] image.
    masks: optional [num_instances, height, width] masks.
    multiple: the sides of the output are multiples of this (>= 1).

  Returns:
    [padded_image, (padded_masks), int32 [3] shape of the image before
    padding].

  Raises:
    ValueError: if image is not rank 3 or multiple < 1.
  """
  image = tf.convert_to_tensor(image)
  check_image(image, "resize_pad_to_multiple")
  if multiple < 1:
    raise ValueError(
        "resize_pad_to_multiple: multiple must be >= 1, got {}".format(
            multiple))
  with tf.name_scope("ResizePadToMultiple"):
    shape = tf.shape(image)
    padded_size = (shape[:2] + multiple - 1) // multiple * multiple
    pad = padded_size - shape[:2]
    result = [tf.pad(image, [[0, pad[0]], [0, pad[1]], [0, 0]])]
    if masks is not None:
      result.append(tf.pad(tf.convert_to_tensor(masks),
                           [[0, 0], [0, pad[0]], [0, pad[1]]]))
    result.append(shape)
    return result
