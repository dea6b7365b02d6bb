"""MultiscaleGridAnchorGenerator: RetinaNet / FPN anchors, one grid per
pyramid level ("Focal Loss for Dense Object Detection", Lin et al.).

Level l (min_level <= l <= max_level) has stride 2**l pixels and base anchor
size anchor_scale * 2**l. Each cell holds len(aspect_ratios) *
scales_per_octave anchors, ordered by aspect ratio first, then by octave
scale 2**(s / scales_per_octave), s = 0 .. scales_per_octave - 1:

    height = base * octave_scale / sqrt(aspect_ratio)
    width = base * octave_scale * sqrt(aspect_ratio)

Cell (i, j) of level l is centred at (i * 2**l + offset_y, j * 2**l +
offset_x). As in the TF Object Detection API, the offset of a level is half
its stride along an axis when the image size along that axis is a Python
int that is a multiple of the stride (or is not given), and 0 otherwise
(including when the image size is a tensor).

Coordinates are absolute pixels, or divided by the image height / width when
`normalize_coordinates` is set (the default); then `generate` needs
`im_height` and `im_width`.

Example:
  >>> gen = MultiscaleGridAnchorGenerator(
  ...     min_level=3, max_level=4, anchor_scale=4.0, aspect_ratios=[1.0],
  ...     scales_per_octave=1, normalize_coordinates=False)
  >>> level3, level4 = gen.generate([(2, 2), (1, 1)], im_height=16,
  ...                               im_width=16)
  >>> level4.get().numpy().tolist()
  [[-24.0, -24.0, 40.0, 40.0]]
"""

import math
import numbers
from typing import List, Optional, Sequence

import tensorflow as tf

from object_detection.anchor_generators import grid_anchor_generator
from object_detection.core import anchor_generator
from object_detection.core import box_list


def _level_offset(image_size, stride: int) -> float:
  """Upstream offset rule for one axis of one level (see module doc)."""
  if image_size is None or image_size == 1 or image_size % stride == 0:
    return stride / 2.0
  return 0.0


class MultiscaleGridAnchorGenerator(anchor_generator.AnchorGenerator):
  """Anchors for the levels min_level..max_level of a feature pyramid.

  Args:
    min_level: finest pyramid level (stride 2**min_level).
    max_level: coarsest pyramid level, >= min_level.
    anchor_scale: base anchor size of a level, in units of its stride.
    aspect_ratios: aspect ratios (width / height) placed on every cell.
    scales_per_octave: number of intermediate scales per octave, >= 1.
    normalize_coordinates: whether anchors are divided by the image size.

  Raises:
    ValueError: if min_level > max_level or scales_per_octave < 1.
  """

  def __init__(self, min_level: int, max_level: int, anchor_scale: float,
               aspect_ratios: Sequence[float], scales_per_octave: int,
               normalize_coordinates: bool = True):
    if min_level > max_level:
      raise ValueError(
          "MultiscaleGridAnchorGenerator: min_level must be <= max_level, "
          "got min_level={}, max_level={}".format(min_level, max_level))
    if scales_per_octave < 1:
      raise ValueError(
          "MultiscaleGridAnchorGenerator: scales_per_octave must be >= 1, "
          "got {}".format(scales_per_octave))
    self._levels = tuple(range(int(min_level), int(max_level) + 1))
    self._aspect_ratios = tuple(float(a) for a in aspect_ratios)
    self._scales_per_octave = int(scales_per_octave)
    self._normalize_coordinates = bool(normalize_coordinates)
    octave_scales = [2.0 ** (float(s) / scales_per_octave)
                     for s in range(scales_per_octave)]
    # Half sizes of the anchors of one cell, per level: python floats.
    self._half_sizes = []
    for level in self._levels:
      base = 2.0 ** level * float(anchor_scale)
      half_heights, half_widths = [], []
      for aspect_ratio in self._aspect_ratios:
        ratio_sqrt = math.sqrt(aspect_ratio)
        for scale in octave_scales:
          half_heights.append(0.5 * base * scale / ratio_sqrt)
          half_widths.append(0.5 * base * scale * ratio_sqrt)
      self._half_sizes.append((half_heights, half_widths))

  def name_scope(self) -> str:
    return "MultiscaleGridAnchorGenerator"

  def num_anchors_per_location(self) -> List[int]:
    """Returns len(aspect_ratios) * scales_per_octave for every level."""
    return [len(self._aspect_ratios) * self._scales_per_octave] * len(
        self._levels)

  def _generate(self, feature_map_shape_list,
                im_height: Optional[anchor_generator.Dim] = None,
                im_width: Optional[anchor_generator.Dim] = None
                ) -> List[box_list.BoxList]:
    """Generates the anchors of every level.

    Args:
      feature_map_shape_list: one (height, width) pair per level, finest
        first.
      im_height: image height in pixels, a Python int or int32 scalar
        tensor; needed when normalising.
      im_width: image width in pixels, likewise.

    Returns:
      list of BoxLists, one per level, float32 [height * width * K, 4].

    Raises:
      ValueError: if normalize_coordinates is set and im_height or im_width
        is missing (None or 1).
    """
    if self._normalize_coordinates and any(
        size is None or (isinstance(size, numbers.Number) and size == 1)
        for size in (im_height, im_width)):
      raise ValueError(
          "MultiscaleGridAnchorGenerator: normalize_coordinates=True needs "
          "the image size at generate(); expected im_height and im_width "
          "(pixels, > 1), got im_height={!r}, im_width={!r}".format(
              im_height, im_width))
    static_image = all(size is None or isinstance(size, numbers.Integral)
                       for size in (im_height, im_width))
    coord_scale = (1.0, 1.0)
    if self._normalize_coordinates:
      coord_scale = tuple(
          1.0 / size if isinstance(size, numbers.Number)
          else 1.0 / tf.cast(size, tf.float32)
          for size in (im_height, im_width))
    anchors_list = []
    for level, (height, width), (half_heights, half_widths) in zip(
        self._levels, feature_map_shape_list, self._half_sizes):
      stride = 2 ** level
      offset = (0.0, 0.0)
      if static_image:
        offset = (_level_offset(im_height, stride),
                  _level_offset(im_width, stride))
      anchors_list.append(box_list.BoxList(grid_anchor_generator.tile_anchors(
          height, width, half_heights, half_widths, (stride, stride), offset,
          coord_scale=coord_scale)))
    return anchors_list
