"""MultipleGridAnchorGenerator: SSD default boxes on several feature maps
("SSD: Single Shot MultiBox Detector", Liu et al., section 2.2).

Feature map i gets its own list of (scale, aspect_ratio) box specs; the
anchors of one cell follow that list's order:

    height = scale / sqrt(aspect_ratio) * base_anchor_size[0] * m / im_height
    width = scale * sqrt(aspect_ratio) * base_anchor_size[1] * m / im_width

with m = min(im_height, im_width), so an anchor with equal base height
and width is square in pixels even on a non-square image. Cell (r, c) of an
H x W map is centred at (offset_y + r * stride_y, offset_x + c * stride_x):

  * with no anchor_strides, the strides are (1 / H, 1 / W) and the anchors
    are in normalised coordinates;
  * with anchor_strides / anchor_offsets in pixels, they are divided by
    (im_height, im_width);
  * with no anchor_offsets, the offsets are half the strides.

`generate` takes im_height and im_width (default 1, as in the TF Object
Detection API). Anchors are optionally clipped to a window. Rows of the
result: row-major over cells, then the box specs of one cell.

Example:
  >>> gen = MultipleGridAnchorGenerator([[(0.5, 1.0)]], base_anchor_size=[1, 1])
  >>> [anchors] = gen.generate([(2, 1)])
  >>> anchors.get().numpy().tolist()
  [[0.0, 0.25, 0.5, 0.75], [0.5, 0.25, 1.0, 0.75]]
"""

import math
from typing import List, Optional, Sequence, Tuple

import tensorflow as tf

from object_detection.anchor_generators import grid_anchor_generator
from object_detection.core import anchor_generator
from object_detection.core import box_list

is_static = grid_anchor_generator.is_static


def _is_pair(value) -> bool:
  """True for a length-2 list or tuple of numbers."""
  return (isinstance(value, (list, tuple)) and len(value) == 2 and
          is_static(*value))


def _check_pairs(value, name: str, length: int) -> Optional[List[Tuple]]:
  """Validates an optional list of `length` (y, x) number pairs."""
  if value is None:
    return None
  value = list(value)
  if len(value) != length or not all(_is_pair(pair) for pair in value):
    raise ValueError(
        "MultipleGridAnchorGenerator: {} must be a list of {} (y, x) pairs, "
        "one per feature map, got {!r}".format(name, length, value))
  return [(float(y), float(x)) for y, x in value]


class MultipleGridAnchorGenerator(anchor_generator.AnchorGenerator):
  """Anchors from a list of (scale, aspect_ratio) specs per feature map.

  Args:
    box_specs_list: one list of (scale, aspect_ratio) pairs per feature map.
    base_anchor_size: (height, width) of a scale-1 anchor, relative to the
      shorter image side; default (256, 256) as in the TF OD API
      (create_ssd_anchors uses (1, 1)).
    anchor_strides: optional list of (y, x) strides in pixels, one per map.
    anchor_offsets: optional list of (y, x) centres of cell (0, 0) in
      pixels, one per map.
    clip_window: optional [ymin, xmin, ymax, xmax] window (python numbers or
      a float32 [4] tensor) to which every anchor is clipped.

  Raises:
    ValueError: if box_specs_list is not a list of lists of pairs, or the
      strides / offsets / clip window have the wrong form.
  """

  def __init__(self,
               box_specs_list: Sequence[Sequence[Tuple[float, float]]],
               base_anchor_size: Optional[Sequence[float]] = None,
               anchor_strides: Optional[Sequence[Tuple[float, float]]] = None,
               anchor_offsets: Optional[Sequence[Tuple[float, float]]] = None,
               clip_window=None):
    if not all(isinstance(layer, (list, tuple)) and
               all(_is_pair(spec) for spec in layer)
               for layer in box_specs_list):
      raise ValueError(
          "MultipleGridAnchorGenerator: box_specs_list must be a list of "
          "lists of (scale, aspect_ratio) pairs, got {!r}".format(
              box_specs_list))
    self._box_specs = [[(float(s), float(a)) for s, a in layer]
                       for layer in box_specs_list]
    if base_anchor_size is None:
      base_anchor_size = (256.0, 256.0)
    if len(base_anchor_size) != 2 or not is_static(*base_anchor_size):
      raise ValueError(
          "MultipleGridAnchorGenerator: base_anchor_size must be a (height, "
          "width) pair of numbers, got {!r}".format(base_anchor_size))
    self._base_anchor_size = tuple(float(v) for v in base_anchor_size)
    self._anchor_strides = _check_pairs(anchor_strides, "anchor_strides",
                                        len(self._box_specs))
    self._anchor_offsets = _check_pairs(anchor_offsets, "anchor_offsets",
                                        len(self._box_specs))
    if clip_window is not None and tuple(
        tf.convert_to_tensor(clip_window).shape.as_list()) != (4,):
      raise ValueError(
          "MultipleGridAnchorGenerator: clip_window must be None or a [4] "
          "window [ymin, xmin, ymax, xmax], got {!r}".format(clip_window))
    self._clip_window = clip_window
    # Half sizes for base size 1, per layer.
    self._unit_half_sizes = []
    for layer in self._box_specs:
      half_heights = [0.5 * s / math.sqrt(a) for s, a in layer]
      half_widths = [0.5 * s * math.sqrt(a) for s, a in layer]
      self._unit_half_sizes.append((half_heights, half_widths))

  def name_scope(self) -> str:
    return "MultipleGridAnchorGenerator"

  def num_anchors_per_location(self) -> List[int]:
    """Returns the number of box specs of each feature map."""
    return [len(layer) for layer in self._box_specs]

  def _generate(self, feature_map_shape_list,
                im_height: anchor_generator.Dim = 1,
                im_width: anchor_generator.Dim = 1) -> List[box_list.BoxList]:
    """Generates the anchors of every feature map.

    Args:
      feature_map_shape_list: one (height, width) pair per feature map.
      im_height: image height in pixels (Python number or scalar tensor).
      im_width: image width in pixels (Python number or scalar tensor).

    Returns:
      list of BoxLists, float32 [height_i * width_i * K_i, 4] each.
    """
    if is_static(im_height, im_width):
      im_height, im_width = float(im_height), float(im_width)
      min_dim = min(im_height, im_width)
    else:
      im_height = tf.cast(im_height, tf.float32)
      im_width = tf.cast(im_width, tf.float32)
      min_dim = tf.minimum(im_height, im_width)
    size_scale = (self._base_anchor_size[0] * min_dim / im_height,
                  self._base_anchor_size[1] * min_dim / im_width)
    anchors_list = []
    for index, (height, width) in enumerate(feature_map_shape_list):
      if self._anchor_strides is None:
        stride = tuple(1.0 / (d if is_static(d) else tf.cast(d, tf.float32))
                       for d in (height, width))
      else:
        stride_y, stride_x = self._anchor_strides[index]
        stride = (stride_y / im_height, stride_x / im_width)
      if self._anchor_offsets is None:
        offset = (0.5 * stride[0], 0.5 * stride[1])
      else:
        offset_y, offset_x = self._anchor_offsets[index]
        offset = (offset_y / im_height, offset_x / im_width)
      half_heights, half_widths = self._unit_half_sizes[index]
      anchors = grid_anchor_generator.tile_anchors(
          height, width, half_heights, half_widths, stride, offset,
          size_scale=size_scale)
      if self._clip_window is not None:
        ymin, xmin, ymax, xmax = tf.unstack(
            tf.cast(self._clip_window, tf.float32), num=4)
        anchors = tf.clip_by_value(anchors, tf.stack([ymin, xmin, ymin, xmin]),
                                   tf.stack([ymax, xmax, ymax, xmax]))
      anchors_list.append(box_list.BoxList(anchors))
    return anchors_list


def create_ssd_anchors(
    num_layers: int = 6,
    min_scale: float = 0.2,
    max_scale: float = 0.95,
    scales: Optional[Sequence[float]] = None,
    aspect_ratios: Sequence[float] = (1.0, 2.0, 3.0, 1.0 / 2, 1.0 / 3),
    interpolated_scale_aspect_ratio: float = 1.0,
    base_anchor_size: Optional[Sequence[float]] = None,
    anchor_strides: Optional[Sequence[Tuple[float, float]]] = None,
    anchor_offsets: Optional[Sequence[Tuple[float, float]]] = None,
    reduce_boxes_in_lowest_layer: bool = True
) -> MultipleGridAnchorGenerator:
  """A MultipleGridAnchorGenerator with the SSD paper's default boxes.

  Layer i (finest first) has scale s_i: `scales[i]` when scales are given,
  else min_scale + (max_scale - min_scale) * i / (num_layers - 1) (just
  min_scale when num_layers == 1). Its specs are (s_i, a) for every aspect
  ratio a, then, when interpolated_scale_aspect_ratio > 0, one more anchor
  (sqrt(s_i * s_{i+1}), interpolated_scale_aspect_ratio) with s_num_layers
  = 1. With reduce_boxes_in_lowest_layer, layer 0 instead has the three
  specs (0.1, 1.0), (s_0, 2.0), (s_0, 0.5).

  Args:
    num_layers: number of feature maps, >= 1.
    min_scale: scale of the finest layer when scales are not given.
    max_scale: scale of the coarsest layer when scales are not given.
    scales: optional explicit per-layer scales (the list is not modified).
    aspect_ratios: aspect ratios placed on every cell.
    interpolated_scale_aspect_ratio: aspect ratio of the extra anchor; 0
      leaves it out.
    base_anchor_size: (height, width) of a scale-1 anchor relative to the
      shorter image side; default (1, 1).
    anchor_strides: optional per-layer (y, x) strides in pixels.
    anchor_offsets: optional per-layer (y, x) offsets in pixels.
    reduce_boxes_in_lowest_layer: use the fixed 3 boxes on layer 0.

  Returns:
    the MultipleGridAnchorGenerator.

  Raises:
    ValueError: if num_layers < 1.
  """
  if num_layers < 1:
    raise ValueError("create_ssd_anchors: num_layers must be >= 1, got {}"
                     .format(num_layers))
  if base_anchor_size is None:
    base_anchor_size = (1.0, 1.0)
  if scales:
    scales = [float(s) for s in scales] + [1.0]
  elif num_layers == 1:
    scales = [float(min_scale), 1.0]
  else:
    scales = [min_scale + (max_scale - min_scale) * i / (num_layers - 1)
              for i in range(num_layers)] + [1.0]
  box_specs_list = []
  for layer, scale, scale_next in zip(range(num_layers), scales[:-1],
                                      scales[1:]):
    if layer == 0 and reduce_boxes_in_lowest_layer:
      layer_specs = [(0.1, 1.0), (scale, 2.0), (scale, 0.5)]
    else:
      layer_specs = [(scale, aspect_ratio) for aspect_ratio in aspect_ratios]
      if interpolated_scale_aspect_ratio > 0.0:
        layer_specs.append((math.sqrt(scale * scale_next),
                            interpolated_scale_aspect_ratio))
    box_specs_list.append(layer_specs)
  return MultipleGridAnchorGenerator(box_specs_list, base_anchor_size,
                                     anchor_strides, anchor_offsets)
