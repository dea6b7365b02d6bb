"""Square crops for CenterNet / EfficientDet style training.

random_square_crop_by_scale and random_scale_crop_and_pad_to_square, with
the TF OD API's names, arguments and defaults.

Conventions (those of `core.preprocessor`): image float32 [height, width,
channels]; boxes normalised float32 [num_boxes, 4] as [ymin, xmin, ymax,
xmax]; masks [num_boxes, height, width]; keypoints normalised float32
[num_boxes, num_keypoints, 2] as (y, x).

Both ops take a square window that may reach past the image, fill the part
outside the image with 0 (image and masks), and express everything in the
window's normalised frame. As in the TF OD API, a box is dropped (with its
labels, weights, confidences, masks, keypoints and box_indices) only when
it lies completely outside the window (touching an edge counts as outside;
no centre or coverage rule); the kept boxes are clipped to the window, and
keypoints outside it become NaN.

Implementation: the part of the window inside the image is cut with
`crop.crop_to_window` and then placed on the zero canvas with
`pad.pad_to_canvas`. For boxes and keypoints inside the image this is the
same as pruning and clipping against the whole window.

Random draws go through `random_ops` (stateless for int [2] tensor seeds).
With a `PreprocessorCache` the draws are filed under the op's name:
random_square_crop_by_scale keeps 'scale', 'y_center' and 'x_center';
random_scale_crop_and_pad_to_square keeps 'scale' and 'offset' (the
fractions of the free range, float32 [2]); the latter is an extension, the
TF OD API op takes no cache.
"""

from typing import Any, Callable, Dict, Optional, Tuple, Union

import tensorflow as tf

from object_detection.core.preprocessor_ops import arg_fields
from object_detection.core.preprocessor_ops import crop
from object_detection.core.preprocessor_ops import image_resize
from object_detection.core.preprocessor_ops import pad
from object_detection.core.preprocessor_ops import random_ops

Int = Union[int, tf.Tensor]


def crop_border(max_border: Int, size: tf.Tensor) -> tf.Tensor:
  """The border, in pixels, kept free of crop centres along one axis.

  max_border // 2**k for the smallest k >= 0 with max_border / 2**k <=
  size / 2 (the TF OD API's rule: 2**k = 2**ceil(log2(2 * max_border /
  size)), clipped to [1, max_border]).

  Args:
    max_border: int scalar >= 0, the largest border.
    size: int32 scalar, the image side in pixels.
  Returns:
    int32 scalar border; 0 when max_border is 0.
  """
  border = tf.cast(max_border, tf.float32)
  size = tf.cast(size, tf.float32)
  exponent = tf.math.ceil(tf.math.log(2.0 * border / size) / tf.math.log(2.0))
  divisor = tf.clip_by_value(tf.pow(2.0, exponent), 1.0,
                             tf.maximum(border, 1.0))
  result = tf.cast(border, tf.int32) // tf.cast(divisor, tf.int32)
  return tf.where(border > 0, result, 0)


def _crop_and_pad(image: tf.Tensor, boxes: tf.Tensor,
                  per_box_fields: Tuple[Optional[tf.Tensor], ...],
                  masks: Optional[tf.Tensor], keypoints: Optional[tf.Tensor],
                  window_start: tf.Tensor, window_size: tf.Tensor
                  ) -> Tuple[tf.Tensor, tf.Tensor, Tuple, Optional[tf.Tensor],
                             Optional[tf.Tensor]]:
  """Cuts a pixel window that may leave the image, padding with zeros.

  Args:
    image: [height, width, channels] image.
    boxes: float32 [num_boxes, 4] normalised boxes.
    per_box_fields: tensors (or None) with num_boxes rows, only gathered.
    masks: optional [num_boxes, height, width] masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2].
    window_start: int32 [2] (y, x) of the window's top-left pixel; may be
      negative.
    window_size: int32 [2] (height, width) of the window.
  Returns:
    (image [win_h, win_w, channels], boxes [num_kept, 4], per_box_fields
    gathered, masks [num_kept, win_h, win_w] or None, keypoints or None).
  """
  image_size = tf.shape(image)[:2]
  inside_start = tf.maximum(window_start, 0)
  inside_end = tf.minimum(window_start + window_size, image_size)
  out = crop.crop_to_window(image, inside_start, inside_end - inside_start,
                            boxes, per_box_fields=per_box_fields, masks=masks,
                            keypoints=keypoints, overlap_thresh=0.0,
                            clip_boxes=True)
  offset = inside_start - window_start
  size_and_offset = tf.concat([window_size, offset], axis=0)
  zeros = tf.zeros([tf.shape(image)[2]], tf.float32)
  padded = pad.pad_to_canvas(out.image, out.boxes, out.masks, out.keypoints,
                             None, size_and_offset, zeros)
  new_image, new_boxes = padded[0], padded[1]
  rest = padded[2:]
  new_masks = rest.pop(0) if masks is not None else None
  new_keypoints = rest.pop(0) if keypoints is not None else None
  return new_image, new_boxes, out.per_box_fields, new_masks, new_keypoints


def random_square_crop_by_scale(image: tf.Tensor,
                                boxes: tf.Tensor,
                                labels: tf.Tensor,
                                label_weights: Optional[tf.Tensor],
                                label_confidences: Optional[tf.Tensor] = None,
                                masks: Optional[tf.Tensor] = None,
                                keypoints: Optional[tf.Tensor] = None,
                                box_indices: Optional[tf.Tensor] = None,
                                max_border: int = 128,
                                scale_min: float = 0.6,
                                scale_max: float = 1.3,
                                num_scales: int = 8,
                                seed: random_ops.Seed = None,
                                preprocess_vars_cache: Optional[
                                    random_ops.PreprocessorCache] = None
                                ) -> Tuple[tf.Tensor, ...]:
  """Crops a square whose side is a random multiple of the larger side.

  The scale is one of `num_scales` values evenly spaced in [scale_min,
  scale_max] (tf.linspace); the square's side is
  size = int(scale * max(height, width)). Its centre (y, x) is a random
  pixel with crop_border(max_border, height) <= y <= height - border (and
  likewise for x), and the square covers pixel rows [y - size // 2,
  y - size // 2 + size) and the same columns. Parts outside the image are
  zero. Boxes, masks and keypoints follow the module docstring's rule.

  Differs from the TF OD API only in pixels: its crop leaves out the last
  image row and column and, for an odd side, the square's last row and
  column (they are zero there); here every window pixel inside the image
  keeps its value. Boxes and keypoints are the same.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    labels: int32 [num_boxes] classes.
    label_weights: float32 [num_boxes] or None.
    label_confidences: optional float32 [num_boxes].
    masks: optional [num_boxes, height, width] masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    box_indices: optional int32 [num_boxes] (see arg_fields).
    max_border: largest border (pixels) kept free of centres, >= 0.
    scale_min: smallest scale, > 0.
    scale_max: largest scale, >= scale_min.
    num_scales: number of scales to choose from, >= 1.
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    The inputs that were not None, in argument order: image [size, size,
    channels], then boxes, labels, label_weights, label_confidences,
    masks [num_kept, size, size], keypoints and box_indices with num_kept
    rows.
  Raises:
    ValueError: image not rank 3, or num_scales < 1.
  """
  op_name = "random_square_crop_by_scale"
  image = image_resize.check_image(image, op_name)
  if isinstance(num_scales, int) and num_scales < 1:
    raise ValueError("{}: num_scales must be >= 1, got {}".format(
        op_name, num_scales))
  with tf.name_scope("RandomSquareCropByScale"):
    shape = tf.shape(image)
    height, width = shape[0], shape[1]
    scales = tf.linspace(float(scale_min), float(scale_max), num_scales)
    scale = random_ops.cached(
        preprocess_vars_cache, op_name, "scale",
        lambda: tf.gather(scales, random_ops.uniform_int(
            0, num_scales, random_ops.derive(seed, 0))))
    size = tf.cast(scale * tf.cast(tf.maximum(height, width), tf.float32),
                   tf.int32)
    centre = []
    for axis, (key, side) in enumerate((("y_center", height),
                                        ("x_center", width))):
      border = crop_border(max_border, side)
      centre.append(random_ops.cached(
          preprocess_vars_cache, op_name, key,
          lambda b=border, s=side, a=axis: random_ops.uniform_int(
              b, s - b + 1, random_ops.derive(seed, 1 + a))))
    start = tf.stack(centre) - size // 2
    new_image, new_boxes, fields, new_masks, new_keypoints = _crop_and_pad(
        image, boxes, (labels, label_weights, label_confidences, box_indices),
        masks, keypoints, start, tf.stack([size, size]))
    new_labels, new_weights, new_confidences, new_indices = fields
    return crop.present(new_image, new_boxes, new_labels, new_weights,
                        new_confidences, new_masks, new_keypoints,
                        new_indices)


def _resize(images: tf.Tensor, size: tf.Tensor, method: str) -> tf.Tensor:
  """[batch, h, w, c] resized with half-pixel centres, in the input's dtype."""
  return tf.cast(tf.image.resize(images, size, method=method), images.dtype)


def random_scale_crop_and_pad_to_square(
    image: tf.Tensor,
    boxes: tf.Tensor,
    labels: tf.Tensor,
    label_weights: Optional[tf.Tensor],
    masks: Optional[tf.Tensor] = None,
    keypoints: Optional[tf.Tensor] = None,
    label_confidences: Optional[tf.Tensor] = None,
    box_indices: Optional[tf.Tensor] = None,
    scale_min: float = 0.1,
    scale_max: float = 2.0,
    output_size: int = 512,
    resize_method: str = tf.image.ResizeMethod.BILINEAR,
    seed: random_ops.Seed = None,
    preprocess_vars_cache: Optional[random_ops.PreprocessorCache] = None
) -> Tuple[tf.Tensor, ...]:
  """Scales by a random factor, crops and zero-pads to a fixed square.

  A scale s is drawn uniformly in [scale_min, scale_max); the image is
  resized with `resize_method` to
  scaled = int(s * output_size * side / max(height, width)) per axis, so
  its larger side becomes about s * output_size. An output_size square is
  cut at offset int(max(0, scaled - output_size) * u) per axis (u uniform
  in [0, 1)), and whatever the square leaves uncovered at the bottom and
  right is zero. Masks are resized with the same method (as in the TF OD
  API) and keep their dtype. Boxes follow the module docstring's rule.

  The resize uses half-pixel centres (`tf.image.resize`), so the image and
  masks stay aligned with the normalised boxes. The TF OD API's TF1 resize
  (half_pixel_centers=False) shifts the content up and left by half an
  input pixel, i.e. by half the scale factor in output pixels.

  Args:
    image: float32 [height, width, channels].
    boxes: float32 [num_boxes, 4] normalised boxes.
    labels: int32 [num_boxes] classes.
    label_weights: float32 [num_boxes] or None.
    masks: optional [num_boxes, height, width] masks.
    keypoints: optional float32 [num_boxes, num_keypoints, 2] normalised.
    label_confidences: optional float32 [num_boxes].
    box_indices: optional int32 [num_boxes] (see arg_fields).
    scale_min: smallest scale, > 0.
    scale_max: largest scale (exclusive unless equal to scale_min).
    output_size: side of the output square in pixels (Python int).
    resize_method: a tf.image.ResizeMethod: bilinear, nearest, bicubic or
      area.
    seed: see `random_ops`.
    preprocess_vars_cache: optional PreprocessorCache (module docstring).
  Returns:
    The inputs that were not None, in argument order: image
    [output_size, output_size, channels], then boxes, labels,
    label_weights, masks [num_kept, output_size, output_size], keypoints,
    label_confidences and box_indices with num_kept rows.
  Raises:
    ValueError: image not rank 3, or output_size < 1.
  """
  op_name = "random_scale_crop_and_pad_to_square"
  image = image_resize.check_image(image, op_name)
  if isinstance(output_size, int) and output_size < 1:
    raise ValueError("{}: output_size must be >= 1, got {}".format(
        op_name, output_size))
  with tf.name_scope("RandomScaleCropAndPadToSquare"):
    shape = tf.shape(image)
    hw = tf.cast(shape[:2], tf.float32)
    scale = random_ops.cached(
        preprocess_vars_cache, op_name, "scale",
        lambda: random_ops.uniform([], random_ops.derive(seed, 0),
                                   minval=scale_min, maxval=scale_max))
    scaled = tf.cast(scale * float(output_size) * hw / tf.reduce_max(hw),
                     tf.int32)
    fractions = random_ops.cached(
        preprocess_vars_cache, op_name, "offset",
        lambda: tf.stack([random_ops.uniform([], random_ops.derive(seed, 1)),
                          random_ops.uniform([], random_ops.derive(seed, 2))]))
    free = tf.cast(tf.maximum(scaled - output_size, 0), tf.float32)
    offset = tf.cast(free * fractions, tf.int32)
    resized = _resize(image[tf.newaxis], scaled, resize_method)[0]
    resized_masks = None
    if masks is not None:
      masks = tf.convert_to_tensor(masks)
      resized_masks = _resize(masks[..., tf.newaxis], scaled,
                              resize_method)[..., 0]
    new_image, new_boxes, fields, new_masks, new_keypoints = _crop_and_pad(
        resized, boxes, (labels, label_weights, label_confidences,
                         box_indices),
        resized_masks, keypoints, offset, tf.constant([output_size] * 2))
    new_image = tf.ensure_shape(new_image,
                                [output_size, output_size, image.shape[2]])
    if new_masks is not None:
      new_masks = tf.ensure_shape(new_masks, [None, output_size, output_size])
    new_labels, new_weights, new_confidences, new_indices = fields
    return crop.present(new_image, new_boxes, new_labels, new_weights,
                        new_masks, new_keypoints, new_confidences, new_indices)


def func_arg_map(fields: arg_fields.ArgFields
                 ) -> Dict[Callable[..., Any], Tuple[Optional[str], ...]]:
  """tensor_dict keys of the positional arguments of this module's ops."""
  return {
      random_square_crop_by_scale: (
          fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.label_confidences, fields.masks, fields.keypoints,
          fields.box_indices),
      random_scale_crop_and_pad_to_square: (
          fields.image, fields.boxes, fields.classes, fields.label_weights,
          fields.masks, fields.keypoints, fields.label_confidences,
          fields.box_indices),
  }
