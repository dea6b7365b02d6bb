"""Pure operations on BoxLists: areas, overlaps, clipping, selection.

Conventions:
  * Boxes are float32 [N, 4] as [ymin, xmin, ymax, xmax]; each function says
    whether it expects absolute or normalised coordinates when it matters.
  * Every op is vectorised and graph-safe: it works inside `tf.function` with
    a dynamic number of boxes, and with N = 0.
  * Ops that return a BoxList keep the extra fields of their input (gathered
    or masked alongside the boxes where boxes are selected), unless a
    `fields` argument says otherwise.
  * Index tensors returned by pruning ops are int32.

Names and semantics follow the TF Object Detection API's box_list_ops, so
code written against it ports unchanged (the `scope` arguments are gone).
"""

import enum
from typing import List, Optional, Sequence, Tuple, Union

import tensorflow as tf

from object_detection.core import box_list
from object_detection.utils import shape_utils

BoxList = box_list.BoxList
Scalar = Union[float, int, tf.Tensor]


class SortOrder(enum.IntEnum):
  """Order for `sort_by_field` (values match the TF OD API's)."""
  ascend = 1
  descend = 2


def _split_coordinates(boxes: tf.Tensor) -> List[tf.Tensor]:
  """Splits [N, 4] boxes into four [N, 1] tensors ymin, xmin, ymax, xmax."""
  return tf.split(boxes, num_or_size_splits=4, axis=1)


def _copy_extra_fields(target: BoxList, source: BoxList) -> BoxList:
  """Adds every extra field of `source` to `target` and returns `target`."""
  for field in source.get_extra_fields():
    target.add_field(field, source.get_field(field))
  return target


def _check_fields(boxlist: BoxList, fields: Sequence[str], op_name: str
                  ) -> None:
  """Raises ValueError naming the first of `fields` absent from `boxlist`."""
  for field in fields:
    if not boxlist.has_field(field):
      present = ", ".join(sorted(boxlist.get_all_fields()))
      raise ValueError("{}: boxlist has no field '{}'; present fields: {}"
                       .format(op_name, field, present))


def _true_indices(indicator: tf.Tensor) -> tf.Tensor:
  """int32 [K] positions of the True entries of a bool [N] tensor."""
  return tf.cast(tf.reshape(tf.where(indicator), [-1]), tf.int32)


def area(boxlist: BoxList) -> tf.Tensor:
  """Computes box areas.

  Args:
    boxlist: BoxList holding N boxes.

  Returns:
    float32 [N] areas, (ymax - ymin) * (xmax - xmin).
  """
  height, width = height_width(boxlist)
  return height * width


def height_width(boxlist: BoxList) -> Tuple[tf.Tensor, tf.Tensor]:
  """Computes box heights and widths.

  Args:
    boxlist: BoxList holding N boxes.

  Returns:
    (height, width): float32 [N] tensors, ymax - ymin and xmax - xmin.
  """
  ymin, xmin, ymax, xmax = tf.unstack(boxlist.get(), num=4, axis=1)
  return ymax - ymin, xmax - xmin


def scale(boxlist: BoxList, y_scale: Scalar, x_scale: Scalar) -> BoxList:
  """Multiplies y coordinates by `y_scale` and x coordinates by `x_scale`.

  Args:
    boxlist: BoxList holding N boxes.
    y_scale: float scalar (Python or tensor) applied to ymin and ymax.
    x_scale: float scalar (Python or tensor) applied to xmin and xmax.

  Returns:
    BoxList holding the N scaled boxes, with the input's extra fields.
  """
  y_scale = tf.cast(y_scale, tf.float32)
  x_scale = tf.cast(x_scale, tf.float32)
  factors = tf.stack([y_scale, x_scale, y_scale, x_scale])
  return _copy_extra_fields(BoxList(boxlist.get() * factors), boxlist)


def clip_to_window(boxlist: BoxList, window: tf.Tensor,
                   filter_nonoverlapping: bool = True) -> BoxList:
  """Clips boxes to a window, optionally dropping those left with no area.

  Args:
    boxlist: BoxList holding N boxes.
    window: float32 [4] window [ymin, xmin, ymax, xmax], in the same
      coordinates as the boxes.
    filter_nonoverlapping: if True, drop boxes whose clipped area is 0
      (boxes completely outside the window, and degenerate boxes).

  Returns:
    BoxList holding M <= N clipped boxes (M = N when not filtering), with
    the input's extra fields selected alongside.
  """
  window = tf.cast(window, tf.float32)
  win_ymin, win_xmin, win_ymax, win_xmax = tf.unstack(window, num=4)
  lower = tf.stack([win_ymin, win_xmin, win_ymin, win_xmin])
  upper = tf.stack([win_ymax, win_xmax, win_ymax, win_xmax])
  clipped = BoxList(tf.maximum(tf.minimum(boxlist.get(), upper), lower))
  clipped = _copy_extra_fields(clipped, boxlist)
  if filter_nonoverlapping:
    clipped = gather(clipped, _true_indices(area(clipped) > 0.0))
  return clipped


def _corners(boxlist: BoxList, window: tf.Tensor
             ) -> Tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
  """(ymin, xmin) and (ymax, xmax) corners of the boxes and of a window.

  Args:
    boxlist: BoxList holding N boxes.
    window: [4] window [ymin, xmin, ymax, xmax].

  Returns:
    float32 box_min [N, 2], box_max [N, 2], window_min [2], window_max [2].
  """
  window = tf.cast(window, tf.float32)
  boxes = boxlist.get()
  return boxes[:, :2], boxes[:, 2:], window[:2], window[2:]


def _keep_with_indices(boxlist: BoxList, keep: tf.Tensor
                       ) -> Tuple[BoxList, tf.Tensor]:
  """(the boxes where bool [N] keep is True, int32 [M] their indices)."""
  valid_indices = _true_indices(keep)
  return gather(boxlist, valid_indices), valid_indices


def prune_outside_window(boxlist: BoxList, window: tf.Tensor
                         ) -> Tuple[BoxList, tf.Tensor]:
  """Drops boxes that extend, even partly, outside a window.

  A box on the window's edge counts as inside.

  Args:
    boxlist: BoxList holding N boxes.
    window: float32 [4] window [ymin, xmin, ymax, xmax].

  Returns:
    (pruned, valid_indices): BoxList of the M kept boxes with their extra
    fields, and int32 [M] indices of those boxes in `boxlist`.
  """
  box_min, box_max, win_min, win_max = _corners(boxlist, window)
  inside = tf.reduce_all((box_min >= win_min) & (box_max <= win_max), axis=1)
  return _keep_with_indices(boxlist, inside)


def prune_completely_outside_window(boxlist: BoxList, window: tf.Tensor
                                    ) -> Tuple[BoxList, tf.Tensor]:
  """Drops boxes that lie completely outside a window; nothing is clipped.

  A box that only touches the window's edge counts as outside.

  Args:
    boxlist: BoxList holding N boxes.
    window: float32 [4] window [ymin, xmin, ymax, xmax].

  Returns:
    (pruned, valid_indices): BoxList of the M kept boxes with their extra
    fields, and int32 [M] indices of those boxes in `boxlist`.
  """
  box_min, box_max, win_min, win_max = _corners(boxlist, window)
  overlaps = tf.reduce_all((box_min < win_max) & (box_max > win_min), axis=1)
  return _keep_with_indices(boxlist, overlaps)


def _overlap_area(coordinates1: Sequence[tf.Tensor],
                  coordinates2: Sequence[tf.Tensor]) -> tf.Tensor:
  """Intersection area of boxes given as (ymin, xmin, ymax, xmax) tensors.

  The coordinates of each side broadcast against the other's, so [N, 1]
  and [M] give [N, M] and [N] and [N] give [N]; 0 where boxes are disjoint.
  """
  ymin1, xmin1, ymax1, xmax1 = coordinates1
  ymin2, xmin2, ymax2, xmax2 = coordinates2
  heights = tf.maximum(0.0, tf.minimum(ymax1, ymax2) - tf.maximum(ymin1, ymin2))
  widths = tf.maximum(0.0, tf.minimum(xmax1, xmax2) - tf.maximum(xmin1, xmin2))
  return heights * widths


def intersection(boxlist1: BoxList, boxlist2: BoxList) -> tf.Tensor:
  """Computes pairwise intersection areas.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding M boxes.

  Returns:
    float32 [N, M] intersection area of every pair (0 when disjoint).
  """
  return _overlap_area(_split_coordinates(boxlist1.get()),  # [N, 1] each
                       tf.unstack(boxlist2.get(), num=4, axis=1))


def matched_intersection(boxlist1: BoxList, boxlist2: BoxList) -> tf.Tensor:
  """Computes intersection areas of corresponding boxes.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding N boxes.

  Returns:
    float32 [N] intersection area of boxlist1[i] and boxlist2[i].
  """
  return _overlap_area(tf.unstack(boxlist1.get(), num=4, axis=1),
                       tf.unstack(boxlist2.get(), num=4, axis=1))


def _safe_ratio(intersections: tf.Tensor, denominators: tf.Tensor
                ) -> tf.Tensor:
  """intersections / denominators, and 0 wherever the intersection is 0."""
  no_overlap = tf.equal(intersections, 0.0)
  safe_denominators = tf.where(no_overlap, tf.ones_like(denominators),
                               denominators)
  return tf.where(no_overlap, tf.zeros_like(intersections),
                  intersections / safe_denominators)


def iou(boxlist1: BoxList, boxlist2: BoxList) -> tf.Tensor:
  """Computes pairwise intersection-over-union.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding M boxes.

  Returns:
    float32 [N, M] IoU of every pair; 0 for pairs that do not intersect.
  """
  intersections = intersection(boxlist1, boxlist2)
  unions = (tf.expand_dims(area(boxlist1), 1) +
            tf.expand_dims(area(boxlist2), 0) - intersections)
  return _safe_ratio(intersections, unions)


def matched_iou(boxlist1: BoxList, boxlist2: BoxList) -> tf.Tensor:
  """Computes intersection-over-union of corresponding boxes.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding N boxes.

  Returns:
    float32 [N] IoU of boxlist1[i] and boxlist2[i]; 0 if they do not
    intersect.
  """
  intersections = matched_intersection(boxlist1, boxlist2)
  unions = area(boxlist1) + area(boxlist2) - intersections
  return _safe_ratio(intersections, unions)


def ioa(boxlist1: BoxList, boxlist2: BoxList) -> tf.Tensor:
  """Computes pairwise intersection-over-area, the area being boxlist2's.

  ioa(box1, box2) = intersection(box1, box2) / area(box2); it is not
  symmetric.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding M boxes.

  Returns:
    float32 [N, M] IoA of every pair; 0 for pairs that do not intersect
    (also when box2 has zero area).
  """
  intersections = intersection(boxlist1, boxlist2)
  areas = tf.broadcast_to(tf.expand_dims(area(boxlist2), 0),
                          tf.shape(intersections))
  return _safe_ratio(intersections, areas)


def prune_non_overlapping_boxes(boxlist1: BoxList, boxlist2: BoxList,
                                min_overlap: float = 0.0
                                ) -> Tuple[BoxList, tf.Tensor]:
  """Keeps the boxes of boxlist1 sufficiently covered by some box of boxlist2.

  A box b1 is kept if max over b2 of intersection(b1, b2) / area(b1) is
  >= `min_overlap`. If boxlist2 is empty no box is kept.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding M boxes.
    min_overlap: minimum fraction of a box's area that must be covered.

  Returns:
    (pruned, keep_indices): BoxList of the K kept boxes of boxlist1 with
    their extra fields, and int32 [K] indices of those boxes in boxlist1.
  """
  coverage = tf.reduce_max(ioa(boxlist2, boxlist1), axis=0)  # [N]
  keep_indices = _true_indices(coverage >= min_overlap)
  return gather(boxlist1, keep_indices), keep_indices


def prune_small_boxes(boxlist: BoxList, min_side: Scalar) -> BoxList:
  """Keeps boxes whose height and width are both >= `min_side`.

  Args:
    boxlist: BoxList holding N boxes.
    min_side: float scalar, minimum height and width.

  Returns:
    BoxList of the M <= N kept boxes with their extra fields.
  """
  height, width = height_width(boxlist)
  min_side = tf.cast(min_side, tf.float32)
  return gather(boxlist, _true_indices((height >= min_side) &
                                       (width >= min_side)))


def change_coordinate_frame(boxlist: BoxList, window: tf.Tensor) -> BoxList:
  """Expresses boxes relative to a window: its corners map to (0,0), (1,1).

  Used e.g. after cropping an image to `window` to move the groundtruth
  boxes into the crop's normalised frame.

  Args:
    boxlist: BoxList holding N boxes.
    window: float32 [4] window [ymin, xmin, ymax, xmax] in the boxes'
      coordinates; it must have non-zero height and width.

  Returns:
    BoxList of the N boxes in the window's frame, with the extra fields.
  """
  window = tf.cast(window, tf.float32)
  win_ymin, win_xmin, win_ymax, win_xmax = tf.unstack(window, num=4)
  shifted = BoxList(boxlist.get() -
                    tf.stack([win_ymin, win_xmin, win_ymin, win_xmin]))
  result = scale(shifted, 1.0 / (win_ymax - win_ymin),
                 1.0 / (win_xmax - win_xmin))
  return _copy_extra_fields(result, boxlist)


def sq_dist(boxlist1: BoxList, boxlist2: BoxList) -> tf.Tensor:
  """Computes pairwise squared Euclidean distances between boxes as 4-vectors.

  Args:
    boxlist1: BoxList holding N boxes.
    boxlist2: BoxList holding M boxes.

  Returns:
    float32 [N, M] sum over the 4 coordinates of (box1 - box2)^2.
  """
  # [N, 1, 4] - [1, M, 4] -> [N, M, 4]
  differences = (tf.expand_dims(boxlist1.get(), 1) -
                 tf.expand_dims(boxlist2.get(), 0))
  return tf.reduce_sum(tf.square(differences), axis=2)


def _matmul_gather(params: tf.Tensor, indices: tf.Tensor) -> tf.Tensor:
  """Gathers rows with a one-hot matmul (static shapes, accelerator friendly).

  Float params only; other dtypes fall back to tf.gather, whose output also
  has the static length of `indices`.
  """
  if not params.dtype.is_floating:
    return tf.gather(params, indices)
  params_shape = shape_utils.combined_static_and_dynamic_shape(params)
  num_rows = params_shape[0]
  flat_params = tf.reshape(params, [num_rows, -1])  # [N, D]
  one_hot = tf.one_hot(indices, num_rows, dtype=params.dtype)  # [K, N]
  gathered = tf.matmul(one_hot, flat_params)  # [K, D]
  index_shape = shape_utils.combined_static_and_dynamic_shape(indices)
  return tf.reshape(gathered, index_shape + params_shape[1:])


def gather(boxlist: BoxList, indices: tf.Tensor,
           fields: Optional[Sequence[str]] = None,
           use_static_shapes: bool = False) -> BoxList:
  """Selects boxes (and fields) by index.

  Args:
    boxlist: BoxList holding N boxes.
    indices: int32 or int64 [K] indices into the N boxes; may repeat.
    fields: extra fields to gather as well; None gathers every extra
      field, an empty sequence only the boxes.
    use_static_shapes: if True, gather float tensors with a one-hot matmul
      (TPU-friendly); results are the same.

  Returns:
    BoxList holding the K selected boxes and the requested fields.

  Raises:
    ValueError: if `indices` is not rank 1 of an integer type, or a
      requested field is missing.
  """
  indices = tf.convert_to_tensor(indices)
  if indices.shape.rank != 1:
    raise ValueError("gather: indices must have rank 1, got shape {}".format(
        indices.shape))
  if indices.dtype not in (tf.int32, tf.int64):
    raise ValueError("gather: indices must be int32 or int64, got {}".format(
        indices.dtype.name))
  if fields is None:
    fields = boxlist.get_extra_fields()
  _check_fields(boxlist, fields, "gather")
  gather_fn = _matmul_gather if use_static_shapes else tf.gather
  selected = BoxList(gather_fn(boxlist.get(), indices))
  for field in fields:
    if field != box_list.BOXES_FIELD:
      selected.add_field(field, gather_fn(boxlist.get_field(field), indices))
  return selected


def boolean_mask(boxlist: BoxList, indicator: tf.Tensor,
                 fields: Optional[Sequence[str]] = None,
                 use_static_shapes: bool = False,
                 indicator_sum: Optional[int] = None) -> BoxList:
  """Selects the boxes (and fields) where `indicator` is True, in order.

  Args:
    boxlist: BoxList holding N boxes.
    indicator: bool [N] selection mask.
    fields: extra fields to select as well; None selects every extra
      field, an empty sequence only the boxes.
    use_static_shapes: if True, the output has the static length
      `indicator_sum`, which must equal the number of True entries.
    indicator_sum: Python int, number of True entries; required (and > 0)
      when `use_static_shapes` is True.

  Returns:
    BoxList holding the selected boxes and the requested fields.

  Raises:
    ValueError: if `indicator` is not a rank-1 bool tensor, a requested
      field is missing, or `indicator_sum` is not a positive int when
      `use_static_shapes` is True.
  """
  indicator = tf.convert_to_tensor(indicator)
  if indicator.shape.rank != 1:
    raise ValueError(
        "boolean_mask: indicator must have rank 1, got shape {}".format(
            indicator.shape))
  if indicator.dtype != tf.bool:
    raise ValueError("boolean_mask: indicator must be bool, got {}".format(
        indicator.dtype.name))
  if fields is None:
    fields = boxlist.get_extra_fields()
  _check_fields(boxlist, fields, "boolean_mask")
  if use_static_shapes:
    if (isinstance(indicator_sum, bool) or not isinstance(indicator_sum, int)
        or indicator_sum <= 0):
      raise ValueError(
          "boolean_mask: indicator_sum must be a positive Python int when "
          "use_static_shapes is True, got {!r}".format(indicator_sum))
    flags = tf.cast(indicator, tf.int32)
    # Slot k in [0, indicator_sum) receives the position of the k-th True
    # entry; False entries get segment id -1 and are dropped.
    slots = tf.cumsum(flags) * flags - 1
    positions = tf.range(tf.shape(indicator)[0], dtype=tf.int32)
    indices = tf.math.unsorted_segment_max(positions, slots, indicator_sum)
    indices = tf.maximum(indices, 0)  # empty slots hold the int32 minimum
    return gather(boxlist, indices, fields, use_static_shapes=True)
  selected = BoxList(tf.boolean_mask(boxlist.get(), indicator))
  for field in fields:
    if field != box_list.BOXES_FIELD:
      selected.add_field(field,
                         tf.boolean_mask(boxlist.get_field(field), indicator))
  return selected


def concatenate(boxlists: Sequence[BoxList],
                fields: Optional[Sequence[str]] = None) -> BoxList:
  """Concatenates BoxLists along the box dimension.

  Args:
    boxlists: non-empty sequence of BoxLists.
    fields: extra fields to concatenate; None takes every extra field of
      the first BoxList. Each must exist in every BoxList with the same
      fully defined shape apart from the first dimension.

  Returns:
    BoxList holding all boxes, in order, with the requested fields.

  Raises:
    ValueError: if `boxlists` is empty or holds a non-BoxList, or a field
      is missing or has mismatched / undefined trailing dimensions.
  """
  if isinstance(boxlists, BoxList) or not isinstance(boxlists, (list, tuple)):
    raise ValueError("concatenate: boxlists must be a list of BoxLists")
  if not boxlists:
    raise ValueError("concatenate: boxlists must not be empty")
  for item in boxlists:
    if not isinstance(item, BoxList):
      raise ValueError(
          "concatenate: every element must be a BoxList, got {}".format(
              type(item).__name__))
  result = BoxList(tf.concat([item.get() for item in boxlists], axis=0))
  if fields is None:
    fields = boxlists[0].get_extra_fields()
  for field in fields:
    trailing_shapes = []
    for item in boxlists:
      _check_fields(item, [field], "concatenate")
      trailing_shapes.append(item.get_field(field).shape.as_list()[1:])
    if None in trailing_shapes[0]:
      raise ValueError(
          "concatenate: field '{}' must have a fully defined shape apart from "
          "the first dimension, got {}".format(field, trailing_shapes[0]))
    if any(shape != trailing_shapes[0] for shape in trailing_shapes):
      raise ValueError(
          "concatenate: field '{}' must have the same shape apart from the "
          "first dimension in every BoxList, got {}".format(
              field, trailing_shapes))
    result.add_field(field, tf.concat(
        [item.get_field(field) for item in boxlists], axis=0))
  return result


def sort_by_field(boxlist: BoxList, field: str,
                  order: SortOrder = SortOrder.descend) -> BoxList:
  """Reorders boxes and all fields by the values of a rank-1 field.

  Ties keep their original relative order.

  Args:
    boxlist: BoxList holding N boxes.
    field: name of a numeric [N] field (e.g. "scores").
    order: SortOrder.descend (default) or SortOrder.ascend.

  Returns:
    BoxList holding the N boxes sorted by `field`, with all extra fields.

  Raises:
    ValueError: if `order` is invalid, the field is missing, not rank 1, or
      its static length differs from the number of boxes.
    tf.errors.InvalidArgumentError: at run time if the lengths differ.
  """
  if order not in (SortOrder.ascend, SortOrder.descend):
    raise ValueError("sort_by_field: order must be SortOrder.ascend (1) or "
                     "SortOrder.descend (2), got {!r}".format(order))
  _check_fields(boxlist, [field], "sort_by_field")
  values = boxlist.get_field(field)
  if values.shape.rank != 1:
    raise ValueError(
        "sort_by_field: field '{}' must have rank 1, got shape {}".format(
            field, values.shape))
  num_boxes_static = boxlist.num_boxes_static()
  if (num_boxes_static is not None and values.shape[0] is not None and
      values.shape[0] != num_boxes_static):
    raise ValueError(
        "sort_by_field: field '{}' has {} entries but there are {} "
        "boxes".format(field, values.shape[0], num_boxes_static))
  check = tf.debugging.assert_equal(
      tf.size(values), boxlist.num_boxes(),
      message="sort_by_field: field length differs from the number of boxes")
  with tf.control_dependencies([check]):
    direction = "DESCENDING" if order == SortOrder.descend else "ASCENDING"
    indices = tf.argsort(values, direction=direction, stable=True)
  return gather(boxlist, indices)


def filter_field_value_equals(boxlist: BoxList, field: str,
                              value: Scalar) -> BoxList:
  """Keeps the boxes whose rank-1 field equals `value`.

  Args:
    boxlist: BoxList holding N boxes.
    field: name of an [N] field, e.g. "classes".
    value: scalar of the field's dtype.

  Returns:
    BoxList of the M <= N kept boxes with all extra fields.

  Raises:
    ValueError: if `boxlist` is not a BoxList or lacks the field.
  """
  if not isinstance(boxlist, BoxList):
    raise ValueError("filter_field_value_equals: boxlist must be a BoxList")
  _check_fields(boxlist, [field], "filter_field_value_equals")
  return gather(boxlist, _true_indices(
      tf.equal(tf.reshape(boxlist.get_field(field), [-1]), value)))


def filter_greater_than(boxlist: BoxList, thresh: Scalar) -> BoxList:
  """Keeps the boxes whose "scores" field is strictly greater than `thresh`.

  Args:
    boxlist: BoxList holding N boxes with a float32 "scores" field of shape
      [N] or [N, 1].
    thresh: float scalar threshold.

  Returns:
    BoxList of the M <= N kept boxes with all extra fields.

  Raises:
    ValueError: if `boxlist` is not a BoxList, has no "scores" field, or the
      scores are not [N] or [N, 1].
  """
  if not isinstance(boxlist, BoxList):
    raise ValueError("filter_greater_than: boxlist must be a BoxList")
  _check_fields(boxlist, ["scores"], "filter_greater_than")
  scores = boxlist.get_field("scores")
  shape = scores.shape
  if shape.rank not in (1, 2) or (shape.rank == 2 and shape[1] != 1):
    raise ValueError(
        "filter_greater_than: scores must have shape [N] or [N, 1], got "
        "{}".format(shape))
  return gather(boxlist, _true_indices(tf.reshape(scores, [-1]) > thresh))


def pad_or_clip_box_list(boxlist: BoxList, num_boxes: Union[int, tf.Tensor]
                         ) -> BoxList:
  """Zero-pads or truncates the boxes and every field to `num_boxes` rows.

  Args:
    boxlist: BoxList holding N boxes.
    num_boxes: Python int or int32 scalar tensor, output number of boxes.

  Returns:
    BoxList with exactly `num_boxes` boxes (static when `num_boxes` is an
    int): the first min(N, num_boxes) inputs, then zero rows.
  """
  result = BoxList(shape_utils.pad_or_clip_tensor(boxlist.get(), num_boxes))
  for field in boxlist.get_extra_fields():
    result.add_field(field, shape_utils.pad_or_clip_tensor(
        boxlist.get_field(field), num_boxes))
  return result


def get_minimal_coverage_box(boxlist: BoxList,
                             default_box: Optional[tf.Tensor] = None
                             ) -> tf.Tensor:
  """Returns the smallest box covering every box of the list.

  Args:
    boxlist: BoxList holding N boxes.
    default_box: float32 [1, 4] box returned when N = 0; defaults to
      [[0., 0., 1., 1.]].

  Returns:
    float32 [1, 4] box [min ymin, min xmin, max ymax, max xmax], or
    `default_box` when the list is empty.
  """
  if default_box is None:
    default_box = tf.constant([[0.0, 0.0, 1.0, 1.0]])
  default_box = tf.reshape(tf.cast(default_box, tf.float32), [1, 4])
  boxes = boxlist.get()
  ymin, xmin, ymax, xmax = tf.unstack(boxes, num=4, axis=1)
  coverage = tf.reshape(tf.stack([
      tf.reduce_min(ymin), tf.reduce_min(xmin),
      tf.reduce_max(ymax), tf.reduce_max(xmax)]), [1, 4])
  return tf.where(boxlist.num_boxes() > 0, coverage, default_box)


def to_normalized_coordinates(boxlist: BoxList, height: Scalar,
                              width: Scalar, check_range: bool = True
                              ) -> BoxList:
  """Converts absolute pixel boxes to coordinates normalised by image size.

  Args:
    boxlist: BoxList of N boxes in absolute pixels.
    height: image height in pixels (int or float, Python or tensor).
    width: image width in pixels (int or float, Python or tensor).
    check_range: if True, fail at run time when the boxes look already
      normalised (largest coordinate <= 1.01); an empty list passes.

  Returns:
    BoxList of the N boxes divided by (height, width), with extra fields.

  Raises:
    tf.errors.InvalidArgumentError: at run time if `check_range` fails.
  """
  height = tf.cast(height, tf.float32)
  width = tf.cast(width, tf.float32)
  if check_range:
    max_value = tf.reduce_max(boxlist.get())
    looks_absolute = tf.logical_or(max_value > 1.01,
                                   tf.equal(boxlist.num_boxes(), 0))
    check = tf.debugging.Assert(looks_absolute, [
        "to_normalized_coordinates: boxes look already normalised; largest "
        "coordinate is <= 1.01:", max_value])
    with tf.control_dependencies([check]):
      width = tf.identity(width)
  return scale(boxlist, 1.0 / height, 1.0 / width)


def to_absolute_coordinates(boxlist: BoxList, height: Scalar, width: Scalar,
                            check_range: bool = True,
                            maximum_normalized_coordinate: float = 1.1
                            ) -> BoxList:
  """Converts normalised boxes to absolute pixel coordinates.

  Args:
    boxlist: BoxList of N boxes normalised to [0, 1].
    height: image height in pixels (int or float, Python or tensor).
    width: image width in pixels (int or float, Python or tensor).
    check_range: if True, fail at run time when the largest coordinate is
      above `maximum_normalized_coordinate` (boxes look already absolute).
    maximum_normalized_coordinate: largest coordinate still accepted as
      normalised.

  Returns:
    BoxList of the N boxes multiplied by (height, width), with extra fields.

  Raises:
    tf.errors.InvalidArgumentError: at run time if `check_range` fails.
  """
  height = tf.cast(height, tf.float32)
  width = tf.cast(width, tf.float32)
  if check_range:
    max_value = tf.reduce_max(boxlist.get())  # -inf when empty: passes
    check = tf.debugging.Assert(
        max_value <= maximum_normalized_coordinate,
        ["to_absolute_coordinates: boxes look already absolute; largest "
         "coordinate is above {}:".format(maximum_normalized_coordinate),
         max_value])
    with tf.control_dependencies([check]):
      width = tf.identity(width)
  return scale(boxlist, height, width)
