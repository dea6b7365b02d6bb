"""GridAnchorGenerator: the Faster R-CNN anchor grid, plus the tiling math
shared by every generator in this package.

Anchors are in absolute pixel coordinates [ymin, xmin, ymax, xmax]. On a
feature map of height H and width W, the anchors of cell (row i, column j)
are centred at (i * stride_y + offset_y, j * stride_x + offset_x). Every cell
holds the same len(aspect_ratios) * len(scales) boxes, ordered by aspect
ratio first and scale second:

    for aspect_ratio in aspect_ratios:
      for scale in scales:
        height = scale / sqrt(aspect_ratio) * base_anchor_size[0]
        width = scale * sqrt(aspect_ratio) * base_anchor_size[1]

(this is the TF Object Detection API order). Cells are row-major, so anchor
k of cell (i, j) sits at index (i * W + j) * K + k.

Unlike the TF Object Detection API, which accepts exactly one feature map,
`generate` tiles every feature map it is given with the same spec.

Example:
  >>> gen = GridAnchorGenerator(scales=[1.0], aspect_ratios=[1.0],
  ...                           base_anchor_size=[10, 10],
  ...                           anchor_stride=[8, 8], anchor_offset=[4, 4])
  >>> [anchors] = gen.generate([(1, 2)])
  >>> anchors.get().numpy().tolist()
  [[-1.0, -1.0, 9.0, 9.0], [-1.0, 7.0, 9.0, 17.0]]
"""

import functools
import math
import numbers
from typing import List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from object_detection.core import anchor_generator
from object_detection.core import box_list

# A scalar that is either a Python number or a float32 scalar tensor.
Scalar = Union[float, tf.Tensor]


def is_static(*values) -> bool:
  """True when every value is a plain Python (or numpy) real number."""
  return all(isinstance(v, numbers.Real) for v in values)


def _pattern(first: Scalar, second: Scalar) -> tf.Tensor:
  """float32 [4] tensor [first, second, first, second] (scalar tensors)."""
  first = tf.cast(first, tf.float32)
  second = tf.cast(second, tf.float32)
  return tf.stack([first, second, first, second])


@functools.lru_cache(maxsize=64)
def _eager_index_column(size: int) -> tf.Tensor:
  with tf.init_scope():
    return tf.reshape(tf.range(size, dtype=tf.float32), [-1, 1])


def _index_column(size: anchor_generator.Dim) -> tf.Tensor:
  """float32 [size, 1] column 0, 1, ..., size - 1 (memoised when eager and
  static; inside a graph the ops are emitted, for constant folding)."""
  if tf.executing_eagerly() and isinstance(size, numbers.Integral):
    return _eager_index_column(int(size))
  return tf.reshape(tf.range(size, dtype=tf.float32), [-1, 1])


def _shape(*dims: anchor_generator.Dim) -> Union[tf.Tensor, List]:
  """A shape argument: a memoised int32 constant when all dims are ints."""
  if all(isinstance(d, numbers.Integral) for d in dims):
    return anchor_generator.constant([int(d) for d in dims], tf.int32)
  return list(dims)


def _cell_coefficients(half_heights: Sequence[float],
                       half_widths: Sequence[float],
                       stride: Tuple[Scalar, Scalar],
                       offset: Tuple[Scalar, Scalar],
                       size_scale: Tuple[Scalar, Scalar],
                       coord_scale: Tuple[Scalar, Scalar]
                       ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
  """Per-cell-step patterns and the boxes of cell (0, 0), each float32
  [1, K * 4]: (step_y, step_x, first_cell) such that the flattened boxes of
  cell (i, j) are i * step_y + j * step_x + first_cell. See `tile_anchors`."""
  sy, sx = stride
  oy, ox = offset
  my, mx = size_scale
  fy, fx = coord_scale
  num_anchors = len(half_heights)
  if is_static(sy, sx, oy, ox, my, mx, fy, fx):
    step_y, step_x = float(sy * fy), float(sx * fx)
    first_cell = []
    for hh, hw in zip(half_heights, half_widths):
      first_cell.extend([(oy - hh * my) * fy, (ox - hw * mx) * fx,
                         (oy + hh * my) * fy, (ox + hw * mx) * fx])
    shape = [1, 4 * num_anchors]
    return (tf.constant([step_y, 0.0, step_y, 0.0] * num_anchors,
                        tf.float32, shape),
            tf.constant([0.0, step_x, 0.0, step_x] * num_anchors,
                        tf.float32, shape),
            tf.constant(first_cell, tf.float32, shape))
  half = tf.constant([[-hh, -hw, hh, hw]
                      for hh, hw in zip(half_heights, half_widths)],
                     dtype=tf.float32, shape=[num_anchors, 4])
  scale = _pattern(fy, fx)
  first_cell = (half * _pattern(my, mx) + _pattern(oy, ox)) * scale  # [K, 4]
  step_y = tf.tile(_pattern(sy, 0.0) * scale, [num_anchors])
  step_x = tf.tile(_pattern(0.0, sx) * scale, [num_anchors])
  return (tf.reshape(step_y, [1, -1]), tf.reshape(step_x, [1, -1]),
          tf.reshape(first_cell, [1, -1]))


def tile_anchors(grid_height: anchor_generator.Dim,
                 grid_width: anchor_generator.Dim,
                 half_heights: Sequence[float],
                 half_widths: Sequence[float],
                 stride: Tuple[Scalar, Scalar],
                 offset: Tuple[Scalar, Scalar],
                 size_scale: Tuple[Scalar, Scalar] = (1.0, 1.0),
                 coord_scale: Tuple[Scalar, Scalar] = (1.0, 1.0)
                 ) -> tf.Tensor:
  """Places K anchors on every cell of an H x W grid, row-major.

  Anchor k of cell (i, j), with centre (cy, cx) = (oy + i * sy, ox + j * sx):

      [(cy - hh_k * my) * fy, (cx - hw_k * mx) * fx,
       (cy + hh_k * my) * fy, (cx + hw_k * mx) * fx]

  where (sy, sx) = stride, (oy, ox) = offset, (my, mx) = size_scale and
  (fy, fx) = coord_scale (e.g. 1 / image size, to normalise). It lands at
  row (i * W + j) * K + k of the result.

  The result is row 0 of the grid (j * step_x + first cell) plus i times
  the per-row step, two broadcast float32 ops over [H, W*K*4] (no matmul,
  whose reduced-precision modes on accelerators would round coordinates).
  Executing eagerly with Python-number arguments, the [1, W*K*4] row 0 and
  step pattern are constants memoised per distinct argument value, so a
  call costs three ops; inside tf.function every op is emitted and static
  shapes let constant folding precompute the anchors.

  Args:
    grid_height: H, a Python int or int32 scalar tensor.
    grid_width: W, a Python int or int32 scalar tensor.
    half_heights: K python floats, half of each anchor's height.
    half_widths: K python floats, half of each anchor's width.
    stride: (sy, sx) distance between neighbouring cell centres; Python
      numbers or float32 scalar tensors (likewise the pairs below).
    offset: (oy, ox) centre of cell (0, 0).
    size_scale: (my, mx) multipliers of the half sizes.
    coord_scale: (fy, fx) multipliers of the finished coordinates.

  Returns:
    float32 [H * W * K, 4] boxes [ymin, xmin, ymax, xmax]; the shape is
    static when H and W are Python ints.
  """
  scalars = tuple(stride) + tuple(offset) + tuple(size_scale) + tuple(
      coord_scale)
  if tf.executing_eagerly() and is_static(grid_width, *scalars):
    # Python-number arguments: the [1, W*K*4] first row and step pattern
    # are constants, built once per distinct value.
    scalars = tuple(float(v) for v in scalars)
    step_y, first_row = _eager_first_row(
        tuple(float(v) for v in half_heights),
        tuple(float(v) for v in half_widths),
        scalars[0:2], scalars[2:4], scalars[4:6], scalars[6:8],
        int(grid_width))
  else:
    step_y, first_row = _first_row(half_heights, half_widths, stride, offset,
                                   size_scale, coord_scale, grid_width)
  rows = _index_column(grid_height)  # [H, 1]
  # tf.add / tf.multiply rather than operators: cheaper eager dispatch.
  anchors = tf.add(tf.multiply(rows, step_y), first_row)  # [H, W*K*4]
  return tf.reshape(anchors, _shape(-1, 4))


def _first_row(half_heights, half_widths, stride, offset, size_scale,
               coord_scale, grid_width) -> Tuple[tf.Tensor, tf.Tensor]:
  """(step_y, first_row), float32 [1, W*K*4] each: the per-row shift
  pattern and the anchors of grid row 0, flattened."""
  step_y, step_x, first_cell = _cell_coefficients(
      half_heights, half_widths, stride, offset, size_scale, coord_scale)
  cols = _index_column(grid_width)  # [W, 1]
  first_row = tf.reshape(tf.add(tf.multiply(cols, step_x), first_cell),
                         _shape(1, -1))  # [1, W*K*4]
  return tf.tile(step_y, _shape(1, grid_width)), first_row


@functools.lru_cache(maxsize=256)
def _eager_first_row(*args) -> Tuple[tf.Tensor, tf.Tensor]:
  """`_first_row` for hashable Python arguments, memoised (eager)."""
  with tf.init_scope():
    return _first_row(*args)


def _pair(value: Sequence[float], name: str) -> Tuple[float, float]:
  """Checks a (y, x) pair of numbers and returns it as floats."""
  if len(value) != 2 or not is_static(*value):
    raise ValueError("{} must be a (height, width) pair of numbers, got {!r}"
                     .format(name, value))
  return float(value[0]), float(value[1])


class GridAnchorGenerator(anchor_generator.AnchorGenerator):
  """Anchors of every (scale, aspect ratio) combination on a regular grid.

  Args:
    scales: the anchor scales, relative to base_anchor_size.
    aspect_ratios: the anchor aspect ratios (width / height).
    base_anchor_size: (height, width) in pixels of the anchor with scale 1
      and aspect ratio 1; default (256, 256).
    anchor_stride: (y, x) distance in pixels between the centres of
      neighbouring cells; default (16, 16).
    anchor_offset: (y, x) centre in pixels of cell (0, 0); default (0, 0).

  Raises:
    ValueError: if a pair argument is not two numbers.
  """

  def __init__(self,
               scales: Sequence[float] = (0.5, 1.0, 2.0),
               aspect_ratios: Sequence[float] = (0.5, 1.0, 2.0),
               base_anchor_size: Optional[Sequence[float]] = None,
               anchor_stride: Optional[Sequence[float]] = None,
               anchor_offset: Optional[Sequence[float]] = None):
    self._scales = tuple(float(s) for s in scales)
    self._aspect_ratios = tuple(float(a) for a in aspect_ratios)
    self._base_anchor_size = _pair(
        (256, 256) if base_anchor_size is None else base_anchor_size,
        "base_anchor_size")
    self._anchor_stride = _pair(
        (16, 16) if anchor_stride is None else anchor_stride, "anchor_stride")
    self._anchor_offset = _pair(
        (0, 0) if anchor_offset is None else anchor_offset, "anchor_offset")
    base_h, base_w = self._base_anchor_size
    self._half_heights = []
    self._half_widths = []
    for aspect_ratio in self._aspect_ratios:
      ratio_sqrt = math.sqrt(aspect_ratio)
      for scale in self._scales:
        self._half_heights.append(0.5 * scale / ratio_sqrt * base_h)
        self._half_widths.append(0.5 * scale * ratio_sqrt * base_w)

  def name_scope(self) -> str:
    return "GridAnchorGenerator"

  @property
  def check_num_anchors(self) -> bool:
    """False: any number of feature maps is accepted, each tiled alike."""
    return False

  def num_anchors_per_location(self) -> List[int]:
    """Returns [len(scales) * len(aspect_ratios)]: one spec, used for every
    feature map passed to `generate`."""
    return [len(self._scales) * len(self._aspect_ratios)]

  def _generate(self, feature_map_shape_list) -> List[box_list.BoxList]:
    """Tiles each (height, width) feature map with the anchor spec.

    Args:
      feature_map_shape_list: list of (height, width) pairs.

    Returns:
      list of BoxLists of float32 [height * width * K, 4] absolute anchors.
    """
    return [box_list.BoxList(tile_anchors(
        height, width, self._half_heights, self._half_widths,
        self._anchor_stride, self._anchor_offset))
            for height, width in feature_map_shape_list]
