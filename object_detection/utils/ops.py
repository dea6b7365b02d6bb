"""Tensor ops shared by evaluation and export: the TF OD API's `utils.ops`.

Conventions: boxes are float32 [ymin, xmin, ymax, xmax] normalised to the
image they live in; masks are [num_masks, height, width].
"""

from typing import Union

import tensorflow as tf

IntLike = Union[int, tf.Tensor]

_RESIZE_METHODS = ("bilinear", "nearest")
# Box sizes are clamped to this before dividing, as in the TF OD API.
_MIN_BOX_SIZE = 1e-4


def _image_corners_in_box_frames(boxes: tf.Tensor) -> tf.Tensor:
  """The image's unit box [0, 0, 1, 1] in the frame of each box.

  Args:
    boxes: float32 [num_boxes, 4] normalised [ymin, xmin, ymax, xmax].

  Returns:
    float32 [num_boxes, 4]: where the image corners fall when each box is
    the unit square, e.g. box [0.25, 0, 0.75, 0.5] -> [-0.5, 0, 1.5, 2].
  """
  ymin, xmin, ymax, xmax = tf.unstack(boxes, axis=1)
  height = tf.maximum(ymax - ymin, _MIN_BOX_SIZE)
  width = tf.maximum(xmax - xmin, _MIN_BOX_SIZE)
  return tf.stack([-ymin / height, -xmin / width, (1.0 - ymin) / height,
                   (1.0 - xmin) / width], axis=1)


def reframe_box_masks_to_image_masks(box_masks: tf.Tensor, boxes: tf.Tensor,
                                     image_height: IntLike,
                                     image_width: IntLike,
                                     resize_method: str = "bilinear"
                                     ) -> tf.Tensor:
  """Pastes masks predicted inside boxes into masks of the whole image.

  Each box mask is stretched over its box and sampled at the image's pixel
  grid (tf.image.crop_and_resize semantics: corners aligned, the first and
  last pixel rows sample the image's edges); pixels outside the box are 0.
  Graph friendly; image_height and image_width may be scalar tensors.

      masks = tf.ones([1, 4, 4])
      boxes = tf.constant([[0.25, 0.25, 0.75, 0.75]])
      image_masks = reframe_box_masks_to_image_masks(masks, boxes, 9, 9)
      # image_masks[0, 2:7, 2:7] are 1.0, every other pixel 0.0.

  Args:
    box_masks: float32 (or uint8) [num_masks, mask_height, mask_width],
      mask i in the frame of box i.
    boxes: float32 [num_masks, 4] normalised [ymin, xmin, ymax, xmax].
    image_height: int, height of the output masks.
    image_width: int, width of the output masks.
    resize_method: 'bilinear' or 'nearest'; uint8 masks always use
      'nearest' (as in the TF OD API).

  Returns:
    [num_masks, image_height, image_width] of box_masks' dtype. A box of
    zero height or width (e.g. padding) gives an all-zero mask; with
    num_masks = 0 the result is [0, image_height, image_width].

  Raises:
    ValueError: if resize_method is not 'bilinear' or 'nearest', or the
      ranks / last dimensions of the inputs are wrong.
  """
  if resize_method not in _RESIZE_METHODS:
    raise ValueError("reframe_box_masks_to_image_masks: resize_method must be "
                     "one of %s, got %r" % (_RESIZE_METHODS, resize_method))
  box_masks = tf.convert_to_tensor(box_masks)
  boxes = tf.cast(tf.convert_to_tensor(boxes), tf.float32)
  if box_masks.shape.rank != 3:
    raise ValueError("reframe_box_masks_to_image_masks: box_masks must have "
                     "shape [num_masks, mask_height, mask_width], got %s"
                     % box_masks.shape)
  if boxes.shape.rank != 2 or boxes.shape[1] != 4:
    raise ValueError("reframe_box_masks_to_image_masks: boxes must have shape "
                     "[num_masks, 4], got %s" % boxes.shape)
  if box_masks.dtype == tf.uint8:
    resize_method = "nearest"
  num_masks = tf.shape(box_masks)[0]
  crop_size = tf.stack([tf.cast(image_height, tf.int32),
                        tf.cast(image_width, tf.int32)])
  image_masks = tf.image.crop_and_resize(
      tf.cast(box_masks[..., tf.newaxis], tf.float32),
      _image_corners_in_box_frames(boxes), tf.range(num_masks), crop_size,
      method=resize_method, extrapolation_value=0.0)  # [N, H, W, 1]
  ymin, xmin, ymax, xmax = tf.unstack(boxes, axis=1)
  has_area = tf.cast((ymax > ymin) & (xmax > xmin), tf.float32)
  image_masks = image_masks[..., 0] * has_area[:, tf.newaxis, tf.newaxis]
  return tf.cast(image_masks, box_masks.dtype)
