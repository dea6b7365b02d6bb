"""FlexibleGridAnchorGenerator: an explicit anchor list per feature map.

Feature map i is given its anchors as (base_size, aspect_ratio) pairs, in
pixels, plus its own stride and offset in pixels. Anchor k of a cell:

    height = base_sizes[i][k] / sqrt(aspect_ratios[i][k])
    width = base_sizes[i][k] * sqrt(aspect_ratios[i][k])

Cell (r, c) is centred at (offset_y + r * stride_y, offset_x + c * stride_x).
Rows of the result: row-major over cells, then the pairs in the given order.
With `normalize_coordinates` (the default) coordinates are divided by the
image height / width, which `generate` then needs as im_height / im_width.

Example:
  >>> gen = FlexibleGridAnchorGenerator(
  ...     base_sizes=[(8.0,)], aspect_ratios=[(1.0,)],
  ...     anchor_strides=[(16, 16)], anchor_offsets=[(8, 8)],
  ...     normalize_coordinates=False)
  >>> [anchors] = gen.generate([(1, 2)])
  >>> anchors.get().numpy().tolist()
  [[4.0, 4.0, 12.0, 12.0], [4.0, 20.0, 12.0, 28.0]]
"""

import math
import numbers
from typing import List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.anchor_generators import grid_anchor_generator
from object_detection.core import anchor_generator
from object_detection.core import box_list

is_static = grid_anchor_generator.is_static


class FlexibleGridAnchorGenerator(anchor_generator.AnchorGenerator):
  """Anchors given as (base_size, aspect_ratio) pairs per feature map.

  Args:
    base_sizes: one sequence of base sizes (pixels) per feature map.
    aspect_ratios: one sequence of aspect ratios per feature map, as long as
      the matching base_sizes entry (each anchor is one pair).
    anchor_strides: one (y, x) stride in pixels per feature map.
    anchor_offsets: one (y, x) centre of cell (0, 0) in pixels per map.
    normalize_coordinates: whether anchors are divided by the image size.

  Raises:
    ValueError: if the four lists differ in length, or base_sizes[i] and
      aspect_ratios[i] differ in length, or a stride / offset is not a pair.
  """

  def __init__(self, base_sizes: Sequence[Sequence[float]],
               aspect_ratios: Sequence[Sequence[float]],
               anchor_strides: Sequence[Tuple[float, float]],
               anchor_offsets: Sequence[Tuple[float, float]],
               normalize_coordinates: bool = True):
    lengths = [len(base_sizes), len(aspect_ratios), len(anchor_strides),
               len(anchor_offsets)]
    if len(set(lengths)) != 1:
      raise ValueError(
          "FlexibleGridAnchorGenerator: base_sizes, aspect_ratios, "
          "anchor_strides and anchor_offsets need one entry per feature map, "
          "got lengths {}".format(lengths))
    self._half_sizes = []
    for index, (sizes, ratios) in enumerate(zip(base_sizes, aspect_ratios)):
      if len(sizes) != len(ratios):
        raise ValueError(
            "FlexibleGridAnchorGenerator: feature map {}: base_sizes has {} "
            "values but aspect_ratios has {}; each anchor is one (base_size, "
            "aspect_ratio) pair".format(index, len(sizes), len(ratios)))
      self._half_sizes.append(
          ([0.5 * s / math.sqrt(a) for s, a in zip(sizes, ratios)],
           [0.5 * s * math.sqrt(a) for s, a in zip(sizes, ratios)]))
    for name, pairs in (("anchor_strides", anchor_strides),
                        ("anchor_offsets", anchor_offsets)):
      if not all(isinstance(pair, (list, tuple)) and len(pair) == 2 and
                 is_static(*pair) for pair in pairs):
        raise ValueError(
            "FlexibleGridAnchorGenerator: {} must be (y, x) pairs of "
            "numbers, got {!r}".format(name, pairs))
    self._anchor_strides = [(float(y), float(x)) for y, x in anchor_strides]
    self._anchor_offsets = [(float(y), float(x)) for y, x in anchor_offsets]
    self._normalize_coordinates = bool(normalize_coordinates)

  def name_scope(self) -> str:
    return "FlexibleGridAnchorGenerator"

  def num_anchors_per_location(self) -> List[int]:
    """Returns the number of (base_size, aspect_ratio) pairs per map."""
    return [len(half_heights) for half_heights, _ in self._half_sizes]

  def _generate(self, feature_map_shape_list,
                im_height: Optional[anchor_generator.Dim] = None,
                im_width: Optional[anchor_generator.Dim] = None
                ) -> List[box_list.BoxList]:
    """Generates the anchors of every feature map.

    Args:
      feature_map_shape_list: one (height, width) pair per feature map.
      im_height: image height in pixels, a Python int or int32 scalar
        tensor; needed when normalising.
      im_width: image width in pixels, likewise.

    Returns:
      list of BoxLists, float32 [height_i * width_i * K_i, 4] each.

    Raises:
      ValueError: if normalize_coordinates is set and im_height or im_width
        is missing (None or 1).
    """
    coord_scale = (1.0, 1.0)
    if self._normalize_coordinates:
      if any(size is None or (isinstance(size, numbers.Number) and size == 1)
             for size in (im_height, im_width)):
        raise ValueError(
            "FlexibleGridAnchorGenerator: normalize_coordinates=True needs "
            "the image size at generate(); expected im_height and im_width "
            "(pixels, > 1), got im_height={!r}, im_width={!r}".format(
                im_height, im_width))
      coord_scale = tuple(
          1.0 / size if is_static(size) else 1.0 / tf.cast(size, tf.float32)
          for size in (im_height, im_width))
    return [
        box_list.BoxList(grid_anchor_generator.tile_anchors(
            height, width, half_heights, half_widths, stride, offset,
            coord_scale=coord_scale))
        for (height, width), (half_heights, half_widths), stride, offset
        in zip(feature_map_shape_list, self._half_sizes,
               self._anchor_strides, self._anchor_offsets)]
