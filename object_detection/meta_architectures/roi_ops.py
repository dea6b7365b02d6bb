"""Region-of-interest (ROI) feature extraction for two-stage detectors.

Boxes are [ymin, xmin, ymax, xmax] normalised to [0, 1] of the (padded)
image; a feature map of height h samples a normalised y at pixel
y * (h - 1), the convention of `tf.image.crop_and_resize`.

Multi-level (FPN) cropping runs ONE `crop_and_resize` for all levels: the
levels are packed into a single "canvas" image per batch element (the finest
level at the left, the coarser ones stacked in a column to its right), and
every box is mapped into the canvas region of its level. Sampling points of a
box inside [0, 1] stay inside its level's region, so the result equals
cropping each level separately (boxes are clipped to [0, 1] first).
"""

import math
from typing import List, Sequence, Tuple

import tensorflow as tf

from object_detection.utils import shape_utils

# The FPN paper's level assignment (Lin et al. 2017, eq. 1): a box of
# sqrt(area) == CANONICAL_BOX_SIZE pixels reads level CANONICAL_LEVEL.
CANONICAL_LEVEL = 4
CANONICAL_BOX_SIZE = 224.0


def assign_fpn_levels(boxes: tf.Tensor, image_height: tf.Tensor,
                      image_width: tf.Tensor, min_level: int,
                      max_level: int) -> tf.Tensor:
  """FPN level of each box: floor(4 + log2(sqrt(h * w) / 224)), clipped.

  Args:
    boxes: float32 [..., 4] normalised boxes.
    image_height: scalar, height in pixels the boxes are normalised by.
    image_width: scalar, width in pixels the boxes are normalised by.
    min_level: smallest level available (a Python int).
    max_level: largest level available (a Python int, >= min_level).

  Returns:
    int32 [...] levels in [min_level, max_level].
  """
  height = (boxes[..., 2] - boxes[..., 0]) * tf.cast(image_height, tf.float32)
  width = (boxes[..., 3] - boxes[..., 1]) * tf.cast(image_width, tf.float32)
  # Degenerate boxes have area 0: log2(0) = -inf, floor -> min_level after
  # the clip; the epsilon keeps the value finite.
  size = tf.sqrt(tf.maximum(height * width, 1e-8))
  levels = tf.floor(CANONICAL_LEVEL + tf.math.log(size / CANONICAL_BOX_SIZE)
                    / math.log(2.0))
  levels = tf.clip_by_value(levels, float(min_level), float(max_level))
  return tf.cast(levels, tf.int32)


def _canvas_layout(level_shapes: Sequence[Tuple[int, int]]
                   ) -> Tuple[List[Tuple[int, int]], int, int]:
  """Offsets (y, x) of each level in the canvas and the canvas size.

  Level 0 sits at (0, 0); levels 1.. are stacked top to bottom in a column
  starting at x = width of level 0.
  """
  offsets = [(0, 0)]
  column_x = level_shapes[0][1]
  y = 0
  for height, _ in level_shapes[1:]:
    offsets.append((y, column_x))
    y += height
  canvas_height = max(level_shapes[0][0], y)
  canvas_width = column_x + max([w for _, w in level_shapes[1:]] or [0])
  return offsets, canvas_height, canvas_width


def _pack_levels(features_per_level: Sequence[tf.Tensor],
                 level_shapes: Sequence[Tuple[int, int]],
                 canvas_height: int) -> tf.Tensor:
  """float32 [batch, canvas_height, canvas_width, depth] packed levels."""
  left = tf.pad(features_per_level[0],
                [[0, 0], [0, canvas_height - level_shapes[0][0]], [0, 0],
                 [0, 0]])
  if len(features_per_level) == 1:
    return left
  column_width = max(w for _, w in level_shapes[1:])
  column = tf.concat(
      [tf.pad(features, [[0, 0], [0, 0], [0, column_width - width], [0, 0]])
       for features, (_, width) in zip(features_per_level[1:],
                                       level_shapes[1:])], axis=1)
  column = tf.pad(column, [[0, 0], [0, canvas_height - column.shape[1]],
                           [0, 0], [0, 0]])
  return tf.concat([left, column], axis=2)


def multilevel_crop_and_resize(features_per_level: Sequence[tf.Tensor],
                               boxes: tf.Tensor, level_indices: tf.Tensor,
                               crop_size: Tuple[int, int]) -> tf.Tensor:
  """Bilinear crops of each box from the feature map of its level.

  Args:
    features_per_level: list of float32 [batch, h_l, w_l, depth] feature
      maps with static spatial sizes and the same depth.
    boxes: float32 [batch, num_boxes, 4] normalised boxes; clipped to
      [0, 1] before cropping.
    level_indices: int32 [batch, num_boxes] index into features_per_level
      of each box's level (ignored with a single level).
    crop_size: (crop_height, crop_width) python ints.

  Returns:
    float32 [batch, num_boxes, crop_height, crop_width, depth].

  Raises:
    ValueError: if features_per_level is empty or a map lacks static spatial
      dimensions.
  """
  if not features_per_level:
    raise ValueError("multilevel_crop_and_resize: features_per_level is empty")
  level_shapes = []
  for features in features_per_level:
    height, width = features.shape[1], features.shape[2]
    if height is None or width is None:
      raise ValueError(
          "multilevel_crop_and_resize: feature maps need static spatial "
          "dimensions, got shape {}".format(features.shape))
    level_shapes.append((int(height), int(width)))
  batch, num_boxes = shape_utils.combined_static_and_dynamic_shape(boxes)[:2]
  boxes = tf.clip_by_value(boxes, 0.0, 1.0)
  offsets, canvas_height, canvas_width = _canvas_layout(level_shapes)
  if len(features_per_level) == 1:
    canvas = features_per_level[0]
    canvas_boxes = boxes
  else:
    canvas = _pack_levels(features_per_level, level_shapes, canvas_height)
    # Per level: canvas coordinate = (offset + normalised * (size - 1)) /
    # (canvas size - 1), written as scale * normalised + shift.
    y_scale = [(h - 1) / max(canvas_height - 1, 1) for h, _ in level_shapes]
    x_scale = [(w - 1) / max(canvas_width - 1, 1) for _, w in level_shapes]
    y_shift = [oy / max(canvas_height - 1, 1) for oy, _ in offsets]
    x_shift = [ox / max(canvas_width - 1, 1) for _, ox in offsets]
    # [num_levels, 4] affine coefficients, gathered per box.
    scale = tf.constant([[sy, sx, sy, sx] for sy, sx in zip(y_scale, x_scale)],
                        tf.float32)
    shift = tf.constant([[ty, tx, ty, tx] for ty, tx in zip(y_shift, x_shift)],
                        tf.float32)
    canvas_boxes = (boxes * tf.gather(scale, level_indices)
                    + tf.gather(shift, level_indices))
  flat_boxes = tf.reshape(canvas_boxes, [-1, 4])
  box_indices = tf.reshape(
      tf.tile(tf.range(batch)[:, tf.newaxis], [1, num_boxes]), [-1])
  crops = tf.image.crop_and_resize(canvas, flat_boxes, box_indices,
                                   list(crop_size))
  depth = features_per_level[0].shape[-1]
  return tf.reshape(crops, [batch, num_boxes, crop_size[0], crop_size[1],
                            depth])


class RoiFeatureExtractor:
  """Crops ROI features from one or several feature maps.

  Args:
    crop_size: side of the bilinear crop (initial_crop_size), > 0.
    fpn_min_level: FPN level of the first feature map; None for a single
      feature map.
    fpn_max_level: FPN level of the last feature map; None for a single map.

  Raises:
    ValueError: if crop_size <= 0 or only one of the levels is given.
  """

  def __init__(self, crop_size: int, fpn_min_level=None, fpn_max_level=None):
    if crop_size <= 0:
      raise ValueError("RoiFeatureExtractor: crop_size must be > 0, got "
                       "{}".format(crop_size))
    if (fpn_min_level is None) != (fpn_max_level is None):
      raise ValueError("RoiFeatureExtractor: give both fpn_min_level and "
                       "fpn_max_level or neither")
    self._crop_size = int(crop_size)
    self._min_level = fpn_min_level
    self._max_level = fpn_max_level

  @property
  def crop_size(self) -> int:
    """Side of the crops in feature-map samples."""
    return self._crop_size

  def __call__(self, features_per_level: Sequence[tf.Tensor],
               boxes: tf.Tensor, image_shape: tf.Tensor) -> tf.Tensor:
    """Crops every box from the level its size selects.

    Args:
      features_per_level: list of float32 [batch, h_l, w_l, depth], one per
        level from fpn_min_level to fpn_max_level (or a single map).
      boxes: float32 [batch, num_boxes, 4] normalised boxes.
      image_shape: int32 [4] shape of the padded image batch the boxes are
        normalised by (used for the level of each box).

    Returns:
      float32 [batch, num_boxes, crop_size, crop_size, depth].

    Raises:
      ValueError: if the number of maps disagrees with the FPN levels.
    """
    if self._min_level is None:
      level_indices = tf.zeros(tf.shape(boxes)[:2], tf.int32)
      if len(features_per_level) != 1:
        raise ValueError(
            "RoiFeatureExtractor: expected 1 feature map, got {}".format(
                len(features_per_level)))
    else:
      num_levels = self._max_level - self._min_level + 1
      if len(features_per_level) != num_levels:
        raise ValueError(
            "RoiFeatureExtractor: expected {} feature maps (levels {}..{}), "
            "got {}".format(num_levels, self._min_level, self._max_level,
                            len(features_per_level)))
      level_indices = assign_fpn_levels(
          boxes, image_shape[1], image_shape[2], self._min_level,
          self._max_level) - self._min_level
    return multilevel_crop_and_resize(features_per_level, boxes,
                                      level_indices,
                                      (self._crop_size, self._crop_size))


def max_pool_crops(crops: tf.Tensor, kernel_size: int,
                   stride: int) -> tf.Tensor:
  """Max pools ROI crops ('VALID' padding, as the TF OD API).

  Args:
    crops: float32 [num_rois, crop, crop, depth].
    kernel_size: pooling window, > 0.
    stride: pooling stride, > 0.

  Returns:
    float32 [num_rois, pooled, pooled, depth]; the input when kernel_size
    and stride are both 1.
  """
  if kernel_size == 1 and stride == 1:
    return crops
  return tf.nn.max_pool2d(crops, ksize=kernel_size, strides=stride,
                          padding="VALID")
