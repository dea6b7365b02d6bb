"""Padding ops: random_pad_image, random_absolute_pad_image and
random_pad_to_aspect_ratio (the TF OD API's names and arguments).

Conventions (those of `core.preprocessor`): the image is float32
[height, width, channels]; boxes are normalised float32 [num_boxes, 4]
[ymin, xmin, ymax, xmax]; masks are [num_boxes, height, width]; keypoints
are normalised [num_boxes, num_keypoints, 2] (y, x); DensePose surface
coordinates are [num_boxes, num_points, 4] (y, x, v, u) with normalised
(y, x).

Padding places the image at an offset (offset_height, offset_width) inside
a canvas of target_height x target_width. Padded pixels take `pad_color`;
padded mask pixels are 0. Boxes, keypoints and DensePose points keep their
place on the image content and are re-expressed in the canvas's normalised
frame. No box is dropped, so these ops take no `box_indices`.

Random draws follow the TF OD API: a padded size in [min, max) per axis
(the maximum itself is reached only when min >= max) and an offset in
[0, target - size) per axis, so a padded image never touches the bottom
or right edge unless `center_pad`. With a `PreprocessorCache`, each op
stores its int32 [4] (target_height, target_width, offset_height,
offset_width) under (op name, `SIZE_AND_OFFSET_KEY`);
random_pad_to_aspect_ratio stores its float32 scale under
(op name, `SCALE_KEY`).
"""

import numbers
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import box_list_ops
from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import image_resize
from object_detection.core.preprocessor_ops import random_ops

SIZE_AND_OFFSET_KEY = "size_and_offset"
SCALE_KEY = "scale"

IntPair = Union[Sequence[int], tf.Tensor]
Color = Union[None, Sequence[float], tf.Tensor]


def _shift_points(points: tf.Tensor, window: tf.Tensor) -> tf.Tensor:
  """Moves normalised (y, x) points [..., 2] into `window`'s frame.

  Args:
    points: float32 [..., 2] (y, x) points.
    window: float32 [4] [ymin, xmin, ymax, xmax] in the points' frame.
  Returns:
    float32 [..., 2] points where window's corners map to (0, 0), (1, 1).
  """
  ymin, xmin, ymax, xmax = tf.unstack(window, num=4)
  return ((points - tf.stack([ymin, xmin])) *
          tf.stack([1.0 / (ymax - ymin), 1.0 / (xmax - xmin)]))


def pad_to_canvas(image: tf.Tensor, boxes: tf.Tensor,
                  masks: Optional[tf.Tensor], keypoints: Optional[tf.Tensor],
                  densepose_surface_coords: Optional[tf.Tensor],
                  size_and_offset: tf.Tensor,
                  pad_color: tf.Tensor) -> List[tf.Tensor]:
  """Places the image on a larger canvas; the deterministic part of a pad.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    masks: optional [num_boxes, height, width] masks, padded with 0.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    densepose_surface_coords: optional float32 [num_boxes, num_points, 4]
      (y, x, v, u); (y, x) are moved, (v, u) kept.
    size_and_offset: int32 [4] target_height, target_width, offset_height,
      offset_width, with target >= offset + image size on each axis.
    pad_color: float32 [channels] colour of the padded pixels.
  Returns:
    [image [target_height, target_width, channels], boxes [num_boxes, 4],
    then masks [num_boxes, target_height, target_width], keypoints and
    densepose_surface_coords where given].
  """
  size_and_offset = tf.cast(size_and_offset, tf.int32)
  target_height, target_width, offset_height, offset_width = tf.unstack(
      size_and_offset, num=4)
  image_shape = tf.shape(image)
  height, width = image_shape[0], image_shape[1]
  spatial_padding = [[offset_height, target_height - height - offset_height],
                     [offset_width, target_width - width - offset_width]]
  padded = tf.pad(image, spatial_padding + [[0, 0]])
  # 1 on the image content, 0 on the padding: colours only the padding
  # and leaves content pixels bit-exact.
  content = tf.pad(tf.ones([height, width, 1], image.dtype),
                   spatial_padding + [[0, 0]])
  padded += (1.0 - content) * tf.cast(pad_color, image.dtype)
  padded.set_shape([None, None, image.shape[2]])

  # The canvas in the image's normalised frame.
  window = tf.cast(tf.stack([
      -offset_height, -offset_width, target_height - offset_height,
      target_width - offset_width]), tf.float32) / tf.cast(
          tf.stack([height, width, height, width]), tf.float32)
  new_boxes = box_list_ops.change_coordinate_frame(
      box_list.BoxList(boxes), window).get()
  result = [padded, new_boxes]
  if masks is not None:
    result.append(tf.pad(masks, [[0, 0]] + spatial_padding))
  if keypoints is not None:
    result.append(_shift_points(keypoints, window))
  if densepose_surface_coords is not None:
    points = _shift_points(densepose_surface_coords[..., :2], window)
    result.append(tf.concat([points, densepose_surface_coords[..., 2:]],
                            axis=-1))
  return result


def resolve_pad_color(image: tf.Tensor, pad_color: Color,
                      op_name: str) -> tf.Tensor:
  """float32 [channels] colour: the given one, or the image's mean colour."""
  if pad_color is None:
    return tf.reduce_mean(image, axis=[0, 1])
  pad_color = tf.convert_to_tensor(pad_color, tf.float32)
  channels = image.shape[2]
  if pad_color.shape.rank != 1 or (
      channels is not None and pad_color.shape[0] not in (None, channels)):
    raise ValueError(
        "{}: pad_color must have one value per image channel ({}), got "
        "shape {}".format(op_name, channels, pad_color.shape))
  return pad_color


def draw_size_and_offset(image: tf.Tensor, min_image_size: Optional[IntPair],
                         max_image_size: Optional[IntPair], center_pad: bool,
                         seed: random_ops.Seed) -> tf.Tensor:
  """Draws a padded size and the image's place in it (no cache).

  Args:
    image: [height, width, channels] image to pad.
    min_image_size: int32 [2] smallest padded (height, width); None: the
      image size. Raised to the image size.
    max_image_size: int32 [2] largest padded (height, width); None: twice
      the image size. Raised to the image size.
    center_pad: offsets floor((target - size) / 2) instead of random.
    seed: see `random_ops`.
  Returns:
    int32 [4] target_height, target_width, offset_height, offset_width.
  """
  image_size = tf.shape(image)[:2]
  if max_image_size is None:
    max_image_size = image_size * 2
  max_image_size = tf.maximum(tf.cast(max_image_size, tf.int32), image_size)
  if min_image_size is None:
    min_image_size = image_size
  min_image_size = tf.maximum(tf.cast(min_image_size, tf.int32), image_size)
  targets = [
      tf.where(max_image_size[axis] > min_image_size[axis],
               random_ops.uniform_int(min_image_size[axis], max_image_size[axis],
                           random_ops.derive(seed, axis)),
               max_image_size[axis])
      for axis in (0, 1)]
  if center_pad:
    offsets = [(targets[axis] - image_size[axis]) // 2 for axis in (0, 1)]
  else:
    offsets = [random_ops.uniform_int(0, targets[axis] - image_size[axis],
                           random_ops.derive(seed, 2 + axis))
               for axis in (0, 1)]
  return tf.stack(targets + offsets)


def _pad(op_name: str, image: tf.Tensor, boxes: tf.Tensor,
         masks: Optional[tf.Tensor], keypoints: Optional[tf.Tensor],
         densepose_surface_coords: Optional[tf.Tensor],
         min_image_size: Optional[IntPair], max_image_size: Optional[IntPair],
         pad_color: Color, center_pad: bool, seed: random_ops.Seed,
         preprocess_vars_cache: Optional[random_ops.PreprocessorCache]
         ) -> Tuple[tf.Tensor, ...]:
  """random_pad_image with the cache entries filed under `op_name`."""
  image = image_resize.check_image(image, op_name)
  color = resolve_pad_color(image, pad_color, op_name)
  size_and_offset = random_ops.cached(
      preprocess_vars_cache, op_name, SIZE_AND_OFFSET_KEY,
      lambda: draw_size_and_offset(image, min_image_size, max_image_size,
                                   center_pad, seed))
  return tuple(pad_to_canvas(image, boxes, masks, keypoints,
                             densepose_surface_coords, size_and_offset,
                             color))


def random_pad_image(image: tf.Tensor,
                     boxes: tf.Tensor,
                     masks: Optional[tf.Tensor] = None,
                     keypoints: Optional[tf.Tensor] = None,
                     densepose_surface_coords: Optional[tf.Tensor] = None,
                     min_image_size: Optional[IntPair] = None,
                     max_image_size: Optional[IntPair] = None,
                     pad_color: Color = None,
                     center_pad: bool = False,
                     seed: random_ops.Seed = None,
                     preprocess_vars_cache: Optional[
                         random_ops.PreprocessorCache] = None
                     ) -> Tuple[tf.Tensor, ...]:
  """Pads the image to a random size, at a random (or central) offset.

  Each padded side is drawn in [min, max) (see the module docstring);
  sizes below the image size are raised to it.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    masks: optional [num_boxes, height, width] instance masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    densepose_surface_coords: optional float32 [num_boxes, num_points, 4].
    min_image_size: int32 [2] (height, width) smallest padded size; None:
      the image size.
    max_image_size: int32 [2] (height, width) largest padded size; None:
      twice the image size.
    pad_color: float32 [channels] padding colour; None: the image's
      per-channel mean.
    center_pad: put the image in the middle of the canvas (offsets
      floor((target - size) / 2)) instead of at a random offset.
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache, see the module
      docstring.
  Returns:
    (image [new_height, new_width, channels], boxes [num_boxes, 4], then
    masks [num_boxes, new_height, new_width], keypoints and
    densepose_surface_coords where given).
  Raises:
    ValueError: image not rank 3, or pad_color of the wrong length.
  """
  with tf.name_scope("RandomPadImage"):
    return _pad("random_pad_image", image, boxes, masks, keypoints,
                densepose_surface_coords, min_image_size, max_image_size,
                pad_color, center_pad, seed, preprocess_vars_cache)


def _check_padding(value, name: str) -> None:
  if value is None or (isinstance(value, numbers.Real) and value < 0):
    raise ValueError(
        "random_absolute_pad_image: {} must be a number of pixels >= 0, got "
        "{!r}".format(name, value))


def random_absolute_pad_image(image: tf.Tensor,
                              boxes: tf.Tensor,
                              masks: Optional[tf.Tensor] = None,
                              keypoints: Optional[tf.Tensor] = None,
                              densepose_surface_coords: Optional[
                                  tf.Tensor] = None,
                              max_height_padding: Union[int, tf.Tensor,
                                                        None] = None,
                              max_width_padding: Union[int, tf.Tensor,
                                                       None] = None,
                              pad_color: Color = None,
                              seed: random_ops.Seed = None,
                              preprocess_vars_cache: Optional[
                                  random_ops.PreprocessorCache] = None
                              ) -> Tuple[tf.Tensor, ...]:
  """Pads by a random number of pixels in [0, max_*_padding) per axis.

  random_pad_image with min_image_size = the image size and
  max_image_size = the image size + (max_height_padding,
  max_width_padding); a maximum of 0 or 1 means no padding on that axis.

  Args:
    image, boxes, masks, keypoints, densepose_surface_coords, pad_color,
      seed: as random_pad_image.
    max_height_padding: int32 scalar, exclusive bound of the added rows.
    max_width_padding: int32 scalar, exclusive bound of the added columns.
    preprocess_vars_cache: optional PreprocessorCache; entries are filed
      under 'random_absolute_pad_image'.
  Returns:
    As random_pad_image.
  Raises:
    ValueError: a missing or negative padding bound, or as random_pad_image.
  """
  _check_padding(max_height_padding, "max_height_padding")
  _check_padding(max_width_padding, "max_width_padding")
  with tf.name_scope("RandomAbsolutePadImage"):
    image = image_resize.check_image(image, "random_absolute_pad_image")
    min_image_size = tf.shape(image)[:2]
    max_image_size = min_image_size + tf.cast(
        tf.stack([max_height_padding, max_width_padding]), tf.int32)
    return _pad("random_absolute_pad_image", image, boxes, masks, keypoints,
                densepose_surface_coords, min_image_size, max_image_size,
                pad_color, False, seed, preprocess_vars_cache)


def aspect_ratio_canvas(image: tf.Tensor, aspect_ratio: float,
                        min_padded_size_ratio: Sequence[float],
                        max_padded_size_ratio: Sequence[float],
                        seed: random_ops.Seed,
                        preprocess_vars_cache: Optional[
                            random_ops.PreprocessorCache],
                        function_id: str) -> tf.Tensor:
  """Draws the canvas of random_pad_to_aspect_ratio.

  Args:
    image: [height, width, channels] image to pad.
    aspect_ratio, min_padded_size_ratio, max_padded_size_ratio, seed: as
      random_pad_to_aspect_ratio.
    preprocess_vars_cache: optional PreprocessorCache; the scale is filed
      under (function_id, SCALE_KEY).
    function_id: the calling op's name.
  Returns:
    int32 [4] target_height, target_width, 0, 0 (for `pad_to_canvas`).
  """
  image_shape = tf.shape(image)
  height = tf.cast(image_shape[0], tf.float32)
  width = tf.cast(image_shape[1], tf.float32)
  ratio = tf.cast(aspect_ratio, tf.float32)
  # Smallest canvas of the wanted ratio that holds the image.
  base_height = tf.maximum(height, width / ratio)
  base_width = tf.maximum(width, height * ratio)
  min_height = tf.maximum(min_padded_size_ratio[0] * height, base_height)
  min_width = tf.maximum(min_padded_size_ratio[1] * width, base_width)
  max_height = tf.maximum(max_padded_size_ratio[0] * height, base_height)
  max_width = tf.maximum(max_padded_size_ratio[1] * width, base_width)
  max_scale = tf.minimum(max_height / base_height, max_width / base_width)
  min_scale = tf.minimum(
      max_scale, tf.maximum(min_height / base_height, min_width / base_width))
  scale = random_ops.cached(
      preprocess_vars_cache, function_id, SCALE_KEY,
      lambda: random_ops.uniform([], seed, minval=min_scale,
                                 maxval=max_scale))
  return tf.stack([tf.cast(tf.round(scale * base_height), tf.int32),
                   tf.cast(tf.round(scale * base_width), tf.int32), 0, 0])


def random_pad_to_aspect_ratio(image: tf.Tensor,
                               boxes: tf.Tensor,
                               masks: Optional[tf.Tensor] = None,
                               keypoints: Optional[tf.Tensor] = None,
                               aspect_ratio: float = 1.0,
                               min_padded_size_ratio: Sequence[float] = (
                                   1.0, 1.0),
                               max_padded_size_ratio: Sequence[float] = (
                                   2.0, 2.0),
                               seed: random_ops.Seed = None,
                               preprocess_vars_cache: Optional[
                                   random_ops.PreprocessorCache] = None
                               ) -> Tuple[tf.Tensor, ...]:
  """Zero-pads at the bottom and right to a given aspect ratio.

  The smallest canvas of ratio `aspect_ratio` (width / height) holding the
  image is scaled by a random factor in [min_scale, max_scale), the range
  that keeps its sides between min_padded_size_ratio and
  max_padded_size_ratio times the image's where possible; the factor is
  never below 1 (the canvas never cuts the image). Sides are rounded to
  whole pixels. The image stays at the top-left corner; padding is 0.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    masks: optional [num_boxes, height, width] masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    aspect_ratio: width / height of the result, > 0.
    min_padded_size_ratio: (height, width) smallest size relative to the
      image.
    max_padded_size_ratio: (height, width) largest size relative to the
      image.
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache (key `SCALE_KEY`).
  Returns:
    (image, boxes, then masks and keypoints where given), padded.
  Raises:
    ValueError: image not rank 3, or aspect_ratio <= 0.
  """
  op_name = "random_pad_to_aspect_ratio"
  image = image_resize.check_image(image, op_name)
  check_aspect_ratio(aspect_ratio, op_name)
  with tf.name_scope("RandomPadToAspectRatio"):
    size_and_offset = aspect_ratio_canvas(
        image, aspect_ratio, min_padded_size_ratio, max_padded_size_ratio,
        seed, preprocess_vars_cache, op_name)
    pad_color = tf.zeros([tf.shape(image)[2]], tf.float32)
    return tuple(pad_to_canvas(image, boxes, masks, keypoints, None,
                               size_and_offset, pad_color))


def check_aspect_ratio(aspect_ratio: float, op_name: str) -> None:
  """Raises ValueError unless aspect_ratio > 0 (tensors pass unchecked)."""
  if isinstance(aspect_ratio, (int, float)) and not aspect_ratio > 0:
    raise ValueError("{}: aspect_ratio must be > 0, got {!r}".format(
        op_name, aspect_ratio))


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable, Tuple[Optional[str], ...]]:
  """The tensor_dict keys of the pad ops' positional arguments."""
  pad_args = (fields.image, fields.boxes, fields.masks, fields.keypoints,
              fields.dp_surface_coords)
  return {
      random_pad_image: pad_args,
      random_absolute_pad_image: pad_args,
      random_pad_to_aspect_ratio: (fields.image, fields.boxes, fields.masks,
                                   fields.keypoints),
  }
