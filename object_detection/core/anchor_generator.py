"""AnchorGenerator: the interface every anchor generator implements.

An anchor generator places a fixed set of boxes ("anchors") on every cell of
one or more convolutional feature maps. What is fixed at construction time is
the number of anchors per cell of each feature map
(`num_anchors_per_location()`); the feature map sizes arrive at `generate`
time, as Python ints or int32 scalar tensors, so the same generator serves
fully convolutional models whose input size changes.

Conventions shared by all generators:
  * Boxes are float32 [ymin, xmin, ymax, xmax].
  * Within one feature map, anchors are ordered row-major over the grid cells
    (row 0 left to right, then row 1, ...), then by the generator's documented
    order of the anchors of one cell. Across feature maps, in list order.
  * Each returned BoxList carries an int32 field 'feature_map_index' holding
    the index of its feature map in the list, one value per anchor.

Example (a concrete generator; numbers are absolute pixels):
  >>> from object_detection.anchor_generators import grid_anchor_generator
  >>> gen = grid_anchor_generator.GridAnchorGenerator(
  ...     scales=[1.0], aspect_ratios=[1.0], base_anchor_size=[16, 16])
  >>> [boxes] = gen.generate([(2, 3)])
  >>> boxes.num_boxes_static()
  6
"""

import abc
import functools
import numbers
from typing import List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from object_detection.core import box_list

FEATURE_MAP_INDEX_FIELD = "feature_map_index"

# A feature map size: an int or an int32 scalar tensor.
Dim = Union[int, tf.Tensor]
FeatureMapShape = Union[Tuple[Dim, Dim], Sequence[Dim], tf.Tensor]


@functools.lru_cache(maxsize=256)
def _eager_constant(values: tuple, dtype: tf.DType,
                    shape: Optional[tuple]) -> tf.Tensor:
  with tf.init_scope():
    return tf.constant(values, dtype=dtype, shape=shape)


def constant(values: Sequence[float], dtype: tf.DType,
             shape: Optional[Sequence[int]] = None) -> tf.Tensor:
  """`tf.constant` of a flat list, memoised across eager calls.

  Anchor generation is dominated by per-op overhead in eager mode; the small
  constants it needs (coefficients, shape vectors) are the same on every
  call, so eager calls share one tensor per distinct value. Inside a graph a
  fresh constant is emitted, as usual.

  Args:
    values: flat sequence of Python numbers.
    dtype: the tensor dtype.
    shape: optional static shape, as for `tf.constant`.

  Returns:
    a constant tensor.
  """
  if not tf.executing_eagerly():
    return tf.constant(values, dtype=dtype, shape=shape)
  return _eager_constant(tuple(values), dtype,
                         None if shape is None else tuple(shape))


@functools.lru_cache(maxsize=32)
def _eager_index_field(num_anchors: int, index: int) -> tf.Tensor:
  with tf.init_scope():
    return tf.fill([num_anchors], tf.constant(index, tf.int32))


def _index_field(num_anchors: Union[int, tf.Tensor], index: int) -> tf.Tensor:
  """int32 [num_anchors] vector of `index` (memoised when eager and static)."""
  if tf.executing_eagerly() and isinstance(num_anchors, int):
    return _eager_index_field(num_anchors, index)
  return tf.fill([num_anchors], tf.constant(index, tf.int32))


def _check_feature_map_shape(shape: FeatureMapShape, index: int,
                             name: str) -> Tuple[Dim, Dim]:
  """Returns (height, width) of one feature map, validating its form."""
  if isinstance(shape, (tf.Tensor, tf.Variable)):
    if shape.shape.rank != 1 or shape.shape[0] != 2:
      raise ValueError(
          "{}: feature_map_shape_list[{}] must be a (height, width) pair, got "
          "a tensor of shape {}".format(name, index, shape.shape))
    return shape[0], shape[1]
  if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or (
      len(shape) != 2):
    raise ValueError(
        "{}: feature_map_shape_list[{}] must be a (height, width) pair, got "
        "{!r}".format(name, index, shape))
  for dim in shape:
    if isinstance(dim, numbers.Integral):
      if dim < 1:
        raise ValueError(
            "{}: feature_map_shape_list[{}] sizes must be >= 1, got {!r}"
            .format(name, index, tuple(shape)))
    elif not tf.is_tensor(dim):
      raise ValueError(
          "{}: feature_map_shape_list[{}] must hold ints or int scalar "
          "tensors, got {!r}".format(name, index, tuple(shape)))
  return shape[0], shape[1]


class AnchorGenerator(abc.ABC):
  """Abstract base class of anchor generators.

  Subclasses implement `name_scope`, `num_anchors_per_location` and
  `_generate`; callers use `generate`.
  """

  @abc.abstractmethod
  def name_scope(self) -> str:
    """Returns the name scope (str) under which anchors are generated."""

  @property
  def check_num_anchors(self) -> bool:
    """Whether `generate` requires one feature map per entry of
    `num_anchors_per_location()`.

    Generators that accept any number of feature maps override this.
    """
    return True

  @abc.abstractmethod
  def num_anchors_per_location(self) -> List[int]:
    """Returns the number of anchors per cell, one Python int per feature map
    that `generate` expects."""

  def generate(self, feature_map_shape_list: Sequence[FeatureMapShape],
               **params) -> List[box_list.BoxList]:
    """Generates the anchors of every feature map.

    Args:
      feature_map_shape_list: list of (height, width) pairs, one per feature
        map, e.g. [(8, 8), (4, 4)]. Each size is a Python int or an int32
        scalar tensor; a pair may also be an int32 [2] tensor.
      **params: generator-specific keywords (e.g. im_height, im_width).

    Returns:
      list of BoxLists, one per feature map, in list order. BoxList i holds
      float32 [height_i * width_i * num_anchors_per_location()[i], 4] anchors
      and the int32 [num_anchors_i] field 'feature_map_index' (all equal i).

    Raises:
      ValueError: if the list is empty, if its length differs from
        len(num_anchors_per_location()) (when `check_num_anchors`), or if an
        entry is not a (height, width) pair of positive sizes.
    """
    name = type(self).__name__
    if isinstance(feature_map_shape_list, (tf.Tensor, str, bytes)) or (
        not isinstance(feature_map_shape_list, Sequence)):
      raise ValueError(
          "{}: feature_map_shape_list must be a list of (height, width) "
          "pairs, got {!r}".format(name, feature_map_shape_list))
    num_maps = len(feature_map_shape_list)
    expected = len(self.num_anchors_per_location())
    if self.check_num_anchors and num_maps != expected:
      raise ValueError(
          "{}: expected {} feature map shape(s), one per entry of "
          "num_anchors_per_location() = {}, got {}: {!r}".format(
              name, expected, self.num_anchors_per_location(), num_maps,
              list(feature_map_shape_list)))
    if num_maps == 0:
      raise ValueError(
          "{}: feature_map_shape_list must not be empty".format(name))
    shapes = [_check_feature_map_shape(shape, i, name)
              for i, shape in enumerate(feature_map_shape_list)]
    with tf.name_scope(self.name_scope()):
      anchors_list = self._generate(shapes, **params)
      for index, anchors in enumerate(anchors_list):
        num_anchors = anchors.num_boxes_static()
        if num_anchors is None:
          num_anchors = anchors.num_boxes()
        anchors.add_field(FEATURE_MAP_INDEX_FIELD,
                          _index_field(num_anchors, index))
    return anchors_list

  @abc.abstractmethod
  def _generate(self, feature_map_shape_list: List[Tuple[Dim, Dim]],
                **params) -> List[box_list.BoxList]:
    """Returns one BoxList of anchors per (height, width) pair.

    Called by `generate` after the list has been validated; implementations
    need not add the 'feature_map_index' field.
    """

  def anchor_index_to_feature_map_index(
      self, boxlist_list: Sequence[box_list.BoxList]) -> tf.Tensor:
    """Returns the feature map index of every anchor of a `generate` result.

    Args:
      boxlist_list: the list of BoxLists returned by `generate`.

    Returns:
      int32 [total_num_anchors] feature map index of each anchor, in the
      order of the concatenated BoxLists.
    """
    return tf.concat(
        [tf.fill([boxes.num_boxes()], tf.constant(i, tf.int32))
         for i, boxes in enumerate(boxlist_list)], axis=0)
