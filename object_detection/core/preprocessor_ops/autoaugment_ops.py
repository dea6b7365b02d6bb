"""Image and box operations of the AutoAugment detection policies.

The deterministic building blocks of `autoaugment.autoaugment_image` (the
TF OD API's `utils/autoaugment_utils` operations). Conventions:
  - image: float32 [height, width, 3] holding whole pixel values in
    [0, 255] (the policies work on 8-bit pixels; see `to_pixels`).
  - boxes: float32 [num_boxes, 4] normalised [ymin, xmin, ymax, xmax].
  - Pixels uncovered by a geometric transform and the cut-out regions are
    filled with grey, `FILL_VALUE` = 128.
  - Box geometry works on whole pixel corners, as the TF OD API does: a
    corner is `int(size * coordinate)` (truncated), moved, and divided
    back by the size. The result is clipped to [0, 1]; a box left with
    zero height (width) is widened to at least [.., 0.05] and at most
    [0.95, ..] so that it keeps a positive area. No box is ever dropped.
  - Random quantities (signs, centres) are arguments; the ops draw
    nothing.
"""

import math
from typing import Callable, Union

import tensorflow as tf

FILL_VALUE = 128.0
_MIN_SIDE = 0.05  # Half-gap given to boxes that collapsed to zero size.
# Luma weights of tf.image.rgb_to_grayscale (ITU-R BT.601).
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)
# PIL's SMOOTH filter, used as the blurred image of `sharpness`.
_SMOOTH_KERNEL = ((1.0, 1.0, 1.0), (1.0, 5.0, 1.0), (1.0, 1.0, 1.0))

Scalar = Union[float, tf.Tensor]


def to_pixels(image: tf.Tensor) -> tf.Tensor:
  """float32 [...] values clipped to [0, 255] and truncated to integers."""
  return tf.floor(tf.clip_by_value(image, 0.0, 255.0))


def blend(image1: tf.Tensor, image2: tf.Tensor, factor: float) -> tf.Tensor:
  """image1 + factor * (image2 - image1), as whole pixels.

  Args:
    image1, image2: float32 [height, width, 3] images in [0, 255].
    factor: Python float; 0 gives image1, 1 gives image2, values above 1
      extrapolate (the result is clipped to [0, 255]).
  Returns:
    float32 [height, width, 3] image.
  """
  if factor == 0.0:
    return image1
  if factor == 1.0:
    return image2
  return to_pixels(image1 + factor * (image2 - image1))


def grayscale(image: tf.Tensor) -> tf.Tensor:
  """float32 [height, width, 3]: the rounded luma on all three channels."""
  gray = tf.reduce_sum(image * tf.constant(_GRAY_WEIGHTS), axis=-1,
                       keepdims=True)
  return tf.tile(tf.floor(gray + 0.5), [1, 1, 3])


def color(image: tf.Tensor, factor: float) -> tf.Tensor:
  """PIL's Color enhancement: blends the grayscale image towards image."""
  return blend(grayscale(image), image, factor)


def contrast(image: tf.Tensor, factor: float) -> tf.Tensor:
  """PIL's Contrast enhancement: blends the mean gray towards image.

  The degenerate image is the mean of the grayscale image, rounded, on
  every pixel (the TF OD API divides the pixel count by 256 instead; this
  follows PIL).
  """
  mean = tf.floor(tf.reduce_mean(grayscale(image)[:, :, 0]) + 0.5)
  return blend(tf.ones_like(image) * mean, image, factor)


def brightness(image: tf.Tensor, factor: float) -> tf.Tensor:
  """PIL's Brightness enhancement: blends black towards image."""
  return blend(tf.zeros_like(image), image, factor)


def sharpness(image: tf.Tensor, factor: float) -> tf.Tensor:
  """PIL's Sharpness enhancement: blends the smoothed image towards image.

  The smoothed image is the 3x3 SMOOTH filter ([[1, 1, 1], [1, 5, 1],
  [1, 1, 1]] / 13) on the interior pixels, truncated to integers, and the
  original one-pixel border.
  """
  kernel = tf.constant(_SMOOTH_KERNEL)[:, :, tf.newaxis, tf.newaxis] / 13.0
  kernel = tf.tile(kernel, [1, 1, 3, 1])  # [3, 3, channels, 1]
  smooth = tf.nn.depthwise_conv2d(image[tf.newaxis], kernel, [1, 1, 1, 1],
                                  padding="VALID")[0]
  border = [[1, 1], [1, 1], [0, 0]]
  interior = tf.pad(tf.ones_like(smooth, tf.bool), border)
  smooth = tf.where(interior, tf.pad(to_pixels(smooth), border), image)
  return blend(smooth, image, factor)


def posterize(image: tf.Tensor, bits: int) -> tf.Tensor:
  """Keeps the `bits` high bits of each 8-bit value (0 bits: black)."""
  step = float(2 ** (8 - bits))
  return tf.floor(image / step) * step


def solarize(image: tf.Tensor, threshold: float = 128.0) -> tf.Tensor:
  """Inverts (255 - value) every value at or above threshold."""
  return tf.where(image < threshold, image, 255.0 - image)


def solarize_add(image: tf.Tensor, addition: float,
                 threshold: float = 128.0) -> tf.Tensor:
  """Adds `addition` (clipped to [0, 255]) to values below threshold."""
  added = tf.clip_by_value(image + addition, 0.0, 255.0)
  return tf.where(image < threshold, added, image)


def autocontrast(image: tf.Tensor) -> tf.Tensor:
  """Stretches each channel linearly so that its min is 0 and max 255.

  A constant channel is left as it is.
  """
  low = tf.reduce_min(image, axis=[0, 1])  # [channels]
  high = tf.reduce_max(image, axis=[0, 1])
  scale = 255.0 / tf.where(high > low, high - low, 1.0)
  stretched = to_pixels(image * scale - low * scale)
  return tf.where(high > low, stretched, image)


def _equalize_channel(channel: tf.Tensor) -> tf.Tensor:
  """PIL's equalize of one float32 [height, width] channel."""
  values = tf.cast(channel, tf.int32)
  histogram = tf.math.bincount(tf.reshape(values, [-1]), minlength=256,
                               maxlength=256)
  # Count of the brightest value present (0 for an empty channel).
  last = tf.reduce_sum(tf.where(tf.range(256) == tf.reduce_max(values),
                                histogram, 0))
  step = (tf.reduce_sum(histogram) - last) // 255
  safe_step = tf.maximum(step, 1)
  lut = (tf.cumsum(histogram) + safe_step // 2) // safe_step
  lut = tf.clip_by_value(tf.concat([[0], lut[:-1]], 0), 0, 255)
  equalized = tf.cast(tf.gather(lut, values), tf.float32)
  return tf.where(step > 0, equalized, channel)


def equalize(image: tf.Tensor) -> tf.Tensor:
  """PIL's histogram equalisation, channel by channel.

  With hist the 256-bin histogram of a channel, step = (number of pixels
  - count of the brightest value present) // 255; value v becomes
  (sum(hist[:v]) + step // 2) // step, clipped to 255. A channel with
  step 0 is unchanged.
  """
  return tf.stack([_equalize_channel(image[:, :, c]) for c in range(3)],
                  axis=-1)


def cutout(image: tf.Tensor, center_y: tf.Tensor, center_x: tf.Tensor,
           pad_height: tf.Tensor, pad_width: tf.Tensor,
           replace: Union[float, tf.Tensor] = FILL_VALUE) -> tf.Tensor:
  """Fills rows [cy - pad_h, cy + pad_h) x cols [cx - pad_w, cx + pad_w).

  Args:
    image: float32 [height, width, 3] image.
    center_y, center_x: int32 scalars, the region's centre pixel.
    pad_height, pad_width: int32 scalars, half the region's size.
    replace: fill value, a scalar or float32 [3].
  Returns:
    float32 [height, width, 3] image; the region, clipped to the image,
    holds `replace`.
  """
  shape = tf.shape(image)
  rows = tf.range(shape[0])
  cols = tf.range(shape[1])
  in_rows = (rows >= center_y - pad_height) & (rows < center_y + pad_height)
  in_cols = (cols >= center_x - pad_width) & (cols < center_x + pad_width)
  region = (in_rows[:, tf.newaxis] & in_cols[tf.newaxis, :])[..., tf.newaxis]
  return tf.where(region, tf.ones_like(image) * replace, image)


def _transform(image: tf.Tensor, transform) -> tf.Tensor:
  """Projective transform: output (x, y) reads input (a0 x + a1 y + a2,
  b0 x + b1 y + b2), nearest pixel, grey outside the image."""
  transform = tf.reshape(tf.cast(tf.stack(transform), tf.float32), [1, 8])
  return tf.raw_ops.ImageProjectiveTransformV3(
      images=image[tf.newaxis], transforms=transform,
      output_shape=tf.shape(image)[:2], fill_value=FILL_VALUE,
      interpolation="NEAREST", fill_mode="CONSTANT")[0]


def _trunc(values: tf.Tensor) -> tf.Tensor:
  """Rounds towards zero, as a cast to int32 does."""
  return tf.sign(values) * tf.floor(tf.abs(values))


def _size(image: tf.Tensor):
  shape = tf.shape(image)
  return shape[0], shape[1]


def _finish_boxes(ymin, xmin, ymax, xmax) -> tf.Tensor:
  """Stacks normalised coordinates, clipped and with positive area."""
  def fix(low, high):
    low, high = (tf.clip_by_value(low, 0.0, 1.0),
                 tf.clip_by_value(high, 0.0, 1.0))
    flat = tf.equal(high - low, 0.0)
    return (tf.where(flat, tf.minimum(low, 1.0 - _MIN_SIDE), low),
            tf.where(flat, tf.maximum(high, _MIN_SIDE), high))
  ymin, ymax = fix(ymin, ymax)
  xmin, xmax = fix(xmin, xmax)
  return tf.stack([ymin, xmin, ymax, xmax], axis=1)


def _pixel_corners(boxes: tf.Tensor, height, width):
  """int32 [N] truncated pixel ymin, xmin, ymax, xmax."""
  scale = tf.cast(tf.stack([height, width, height, width]), tf.float32)
  corners = tf.cast(boxes * scale, tf.int32)
  return tf.unstack(corners, num=4, axis=1)


def translate_with_boxes(image: tf.Tensor, boxes: tf.Tensor,
                         pixels: Scalar, horizontal: bool):
  """Shifts the image content and the boxes by `pixels`.

  Args:
    image: float32 [height, width, 3] image.
    boxes: float32 [N, 4] normalised boxes.
    pixels: scalar, the shift in pixels (truncated to an integer for the
      boxes); positive moves right (horizontal) or down.
    horizontal: Python bool, shift along x (else along y).
  Returns:
    image float32 [height, width, 3] (grey where uncovered) and boxes
    float32 [N, 4]: the shifted pixel corners, clipped to the image.
  """
  pixels = tf.cast(pixels, tf.float32)
  if horizontal:
    image = _transform(image, [1.0, 0.0, -pixels, 0.0, 1.0, 0.0, 0.0, 0.0])
  else:
    image = _transform(image, [1.0, 0.0, 0.0, 0.0, 1.0, -pixels, 0.0, 0.0])
  height, width = _size(image)
  shift = tf.cast(pixels, tf.int32)
  ymin, xmin, ymax, xmax = _pixel_corners(boxes, height, width)
  if horizontal:
    xmin, xmax = tf.maximum(0, xmin + shift), tf.minimum(width, xmax + shift)
  else:
    ymin, ymax = tf.maximum(0, ymin + shift), tf.minimum(height, ymax + shift)
  height, width = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
  return image, _finish_boxes(
      tf.cast(ymin, tf.float32) / height, tf.cast(xmin, tf.float32) / width,
      tf.cast(ymax, tf.float32) / height, tf.cast(xmax, tf.float32) / width)


def _moved_corner_boxes(boxes: tf.Tensor, height, width,
                        move: Callable) -> tf.Tensor:
  """Boxes bounding the 4 pixel corners after move(y, x) -> (y', x')."""
  ymin, xmin, ymax, xmax = [tf.cast(c, tf.float32) for c in
                            _pixel_corners(boxes, height, width)]
  ys = tf.stack([ymin, ymin, ymax, ymax], axis=1)  # [N, 4 corners]
  xs = tf.stack([xmin, xmax, xmin, xmax], axis=1)
  new_y, new_x = move(ys, xs)
  # The TF OD API casts the moved corners to int32 (towards zero).
  new_y, new_x = _trunc(new_y), _trunc(new_x)
  height, width = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
  return _finish_boxes(
      tf.reduce_min(new_y, axis=1) / height,
      tf.reduce_min(new_x, axis=1) / width,
      tf.reduce_max(new_y, axis=1) / height,
      tf.reduce_max(new_x, axis=1) / width)


def shear_with_boxes(image: tf.Tensor, boxes: tf.Tensor, level: Scalar,
                     horizontal: bool):
  """Shears the image and the boxes.

  Horizontal: the pixel at (y, x) moves to (y, x + level * y); vertical:
  to (y + level * x, x). Each box becomes the bounding box of its four
  moved (truncated) pixel corners.

  Args:
    image: float32 [height, width, 3] image.
    boxes: float32 [N, 4] normalised boxes.
    level: float scalar shear factor (the policies use |level| <= 0.3).
    horizontal: Python bool, shear along x (else along y).
  Returns:
    image float32 [height, width, 3] and boxes float32 [N, 4].
  """
  level = tf.cast(level, tf.float32)
  if horizontal:
    image = _transform(image, [1.0, -level, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0])
    move = lambda y, x: (y, x + level * y)
  else:
    image = _transform(image, [1.0, 0.0, 0.0, -level, 1.0, 0.0, 0.0, 0.0])
    move = lambda y, x: (y + level * x, x)
  height, width = _size(image)
  return image, _moved_corner_boxes(boxes, height, width, move)


def rotate_with_boxes(image: tf.Tensor, boxes: tf.Tensor, degrees: Scalar):
  """Rotates the image about its centre, counterclockwise for degrees > 0.

  Boxes: the corners, taken relative to the image centre in pixels (y
  pointing up), are rotated and truncated; the box is their bounding box.

  Args:
    image: float32 [height, width, 3] image.
    boxes: float32 [N, 4] normalised boxes.
    degrees: float scalar angle.
  Returns:
    image float32 [height, width, 3] (grey corners) and boxes [N, 4].
  """
  radians = tf.cast(degrees, tf.float32) * (math.pi / 180.0)
  cos, sin = tf.cos(radians), tf.sin(radians)
  image = rotate(image, degrees)
  height, width = _size(image)
  h, w = tf.cast(height, tf.float32), tf.cast(width, tf.float32)
  # Centred corners with y up, truncated to whole pixels.
  centred = _trunc((boxes - 0.5) * tf.stack([h, w, h, w]))
  up_min, x_min, up_max, x_max = tf.unstack(centred, num=4, axis=1)
  ups = -tf.stack([up_min, up_min, up_max, up_max], axis=1)
  xs = tf.stack([x_min, x_max, x_min, x_max], axis=1)
  new_up = _trunc(cos * ups + sin * xs)
  new_x = _trunc(cos * xs - sin * ups)
  return image, _finish_boxes(
      0.5 - tf.reduce_max(new_up, axis=1) / h,
      tf.reduce_min(new_x, axis=1) / w + 0.5,
      0.5 - tf.reduce_min(new_up, axis=1) / h,
      tf.reduce_max(new_x, axis=1) / w + 0.5)


def rotate(image: tf.Tensor, degrees: Scalar) -> tf.Tensor:
  """The image rotated counterclockwise about its centre, grey corners."""
  radians = tf.cast(degrees, tf.float32) * (math.pi / 180.0)
  cos, sin = tf.cos(radians), tf.sin(radians)
  height, width = _size(image)
  cy = (tf.cast(height, tf.float32) - 1.0) / 2.0
  cx = (tf.cast(width, tf.float32) - 1.0) / 2.0
  return _transform(image, [cos, -sin, cx - cos * cx + sin * cy,
                            sin, cos, cy - sin * cx - cos * cy, 0.0, 0.0])


def translate(image: tf.Tensor, pixels: Scalar, horizontal: bool
              ) -> tf.Tensor:
  """The image shifted by `pixels` (right or down), grey where uncovered."""
  return translate_with_boxes(image, tf.zeros([0, 4]), pixels, horizontal)[0]


def shear(image: tf.Tensor, level: Scalar, horizontal: bool) -> tf.Tensor:
  """The image sheared as in `shear_with_boxes`."""
  return shear_with_boxes(image, tf.zeros([0, 4]), level, horizontal)[0]


def box_pixel_region(box: tf.Tensor, height, width):
  """int32 first/last row and column of a normalised [4] box's pixels.

  Truncated corners; the last row/column is clipped to the image.
  """
  ymin, xmin, ymax, xmax = _pixel_corners(box[tf.newaxis], height, width)
  return (ymin[0], xmin[0], tf.minimum(ymax[0], height - 1),
          tf.minimum(xmax[0], width - 1))


def apply_inside_boxes(image: tf.Tensor, boxes: tf.Tensor,
                       selected: tf.Tensor,
                       fn: Callable[[tf.Tensor, tf.Tensor], tf.Tensor]
                       ) -> tf.Tensor:
  """Replaces the pixels of each selected box by fn(pixels, index).

  Boxes are processed in order, each on the image left by the previous.

  Args:
    image: float32 [height, width, 3] image.
    boxes: float32 [N, 4] normalised boxes.
    selected: bool [N], which boxes to change.
    fn: maps float32 [h, w, 3] box pixels and the int32 box index to new
      [h, w, 3] pixels.
  Returns:
    float32 [height, width, 3] image.
  """
  height, width = _size(image)
  rows, cols = tf.range(height), tf.range(width)

  def change(image, index):
    y0, x0, y1, x1 = box_pixel_region(boxes[index], height, width)
    new = fn(image[y0:y1 + 1, x0:x1 + 1], index)
    new = tf.pad(new, [[y0, height - 1 - y1], [x0, width - 1 - x1], [0, 0]])
    inside = (((rows >= y0) & (rows <= y1))[:, tf.newaxis] &
              ((cols >= x0) & (cols <= x1))[tf.newaxis, :])
    return tf.where(inside[..., tf.newaxis], new, image)

  def body(index, image):
    y0, x0, y1, x1 = box_pixel_region(boxes[index], height, width)
    apply = selected[index] & (y1 >= y0) & (x1 >= x0)
    image = tf.cond(apply, lambda: change(image, index), lambda: image)
    return index + 1, image

  _, image = tf.while_loop(lambda index, _: index < tf.shape(boxes)[0],
                           body, (tf.constant(0), image))
  return image
