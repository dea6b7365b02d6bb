"""Tests for object_detection/core/box_list_ops.py.

Shared boxes ([ymin, xmin, ymax, xmax]):
  A = [0, 0, 2, 2]  area 2*2 = 4
  B = [1, 1, 3, 4]  area 2*3 = 6
  C = [5, 5, 6, 6]  area 1*1 = 1
  D = [0, 0, 1, 1]  area 1
  E = [1, 2, 3, 3]  area 2*1 = 2
"""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import box_list
from object_detection.core import box_list_ops

BOXES_ABC = [[0.0, 0.0, 2.0, 2.0], [1.0, 1.0, 3.0, 4.0], [5.0, 5.0, 6.0, 6.0]]
BOXES_DE = [[0.0, 0.0, 1.0, 1.0], [1.0, 2.0, 3.0, 3.0]]


def _abc(with_fields=True):
  boxlist = box_list.BoxList(tf.constant(BOXES_ABC))
  if with_fields:
    boxlist.add_field("scores", tf.constant([0.3, 0.9, 0.5]))
    boxlist.add_field("classes", tf.constant([1, 2, 1]))
  return boxlist


def _de():
  return box_list.BoxList(tf.constant(BOXES_DE))


def _empty():
  boxlist = box_list.BoxList(tf.zeros([0, 4]))
  boxlist.add_field("scores", tf.zeros([0]))
  boxlist.add_field("classes", tf.zeros([0], tf.int32))
  return boxlist


def _assert_boxes(boxlist, expected):
  np.testing.assert_allclose(boxlist.get().numpy().reshape([-1, 4]),
                             np.array(expected, np.float32).reshape([-1, 4]),
                             rtol=1e-6)


def test_area_and_height_width():
  np.testing.assert_array_equal(box_list_ops.area(_abc()), [4.0, 6.0, 1.0])
  height, width = box_list_ops.height_width(_abc())
  np.testing.assert_array_equal(height, [2.0, 2.0, 1.0])
  np.testing.assert_array_equal(width, [2.0, 3.0, 1.0])


def test_scale_keeps_fields():
  scaled = box_list_ops.scale(_abc(), 2.0, tf.constant(3))
  # A: y * 2, x * 3 -> [0, 0, 4, 6]
  _assert_boxes(scaled, [[0, 0, 4, 6], [2, 3, 6, 12], [10, 15, 12, 18]])
  np.testing.assert_allclose(scaled.get_field("scores"), [0.3, 0.9, 0.5])


def test_clip_to_window():
  window = tf.constant([0.0, 0.0, 2.5, 3.0])
  # A inside; B -> [1, 1, min(3, 2.5), min(4, 3)] = [1, 1, 2.5, 3];
  # C -> [2.5, 3, 2.5, 3], area 0.
  clipped = box_list_ops.clip_to_window(_abc(), window,
                                        filter_nonoverlapping=False)
  _assert_boxes(clipped, [[0, 0, 2, 2], [1, 1, 2.5, 3], [2.5, 3, 2.5, 3]])
  filtered = box_list_ops.clip_to_window(_abc(), window)
  _assert_boxes(filtered, [[0, 0, 2, 2], [1, 1, 2.5, 3]])
  np.testing.assert_allclose(filtered.get_field("scores"), [0.3, 0.9])


def test_prune_outside_window_edges_count_inside():
  pruned, indices = box_list_ops.prune_outside_window(
      _abc(), tf.constant([0.0, 0.0, 3.0, 4.0]))  # B touches the edge
  _assert_boxes(pruned, BOXES_ABC[:2])
  np.testing.assert_array_equal(indices, [0, 1])
  assert indices.dtype == tf.int32
  pruned, indices = box_list_ops.prune_outside_window(
      _abc(), tf.constant([0.0, 0.0, 2.5, 4.0]))  # B ymax 3 > 2.5
  np.testing.assert_array_equal(indices, [0])
  np.testing.assert_array_equal(pruned.get_field("classes"), [1])


def test_prune_completely_outside_window_edges_count_outside():
  # Window [2, 2, 5, 5]: A only touches its corner, C only its corner, B
  # overlaps.
  pruned, indices = box_list_ops.prune_completely_outside_window(
      _abc(), tf.constant([2.0, 2.0, 5.0, 5.0]))
  _assert_boxes(pruned, [BOXES_ABC[1]])
  np.testing.assert_array_equal(indices, [1])


def test_intersection_iou_ioa():
  # A&D: 1*1 = 1; B&E: y min(3,3)-max(1,1) = 2, x min(4,3)-max(1,2) = 1 -> 2;
  # A&E: x overlap min(2,3)-max(0,2) = 0; the rest are disjoint.
  np.testing.assert_array_equal(box_list_ops.intersection(_abc(), _de()),
                                [[1, 0], [0, 2], [0, 0]])
  # IoU A,D = 1 / (4 + 1 - 1) = 0.25; B,E = 2 / (6 + 2 - 2) = 1/3.
  np.testing.assert_allclose(box_list_ops.iou(_abc(), _de()),
                             [[0.25, 0], [0, 1 / 3], [0, 0]], rtol=1e-6)
  # IoA(box1, box2) divides by box2's area: D,A = 1/4; E,B = 2/6.
  np.testing.assert_allclose(box_list_ops.ioa(_de(), _abc()),
                             [[0.25, 0, 0], [0, 1 / 3, 0]], rtol=1e-6)


def test_ioa_zero_area_box_gives_zero_not_nan():
  degenerate = box_list.BoxList(tf.constant([[1.0, 1.0, 1.0, 1.0]]))
  np.testing.assert_array_equal(box_list_ops.ioa(_de(), degenerate),
                                [[0.0], [0.0]])
  np.testing.assert_array_equal(box_list_ops.iou(degenerate, degenerate),
                                [[0.0]])


def test_matched_intersection_and_iou():
  first_two = box_list.BoxList(tf.constant(BOXES_ABC[:2]))
  np.testing.assert_array_equal(
      box_list_ops.matched_intersection(first_two, _de()), [1.0, 2.0])
  np.testing.assert_allclose(box_list_ops.matched_iou(first_two, _de()),
                             [0.25, 1 / 3], rtol=1e-6)


def test_sq_dist():
  # A-D: 0+0+1+1 = 2; A-E: 1+4+1+1 = 7; B-D: 1+1+4+9 = 15; B-E: 0+1+0+1 = 2;
  # C-D: 4*25 = 100; C-E: 16+9+9+9 = 43.
  np.testing.assert_array_equal(box_list_ops.sq_dist(_abc(), _de()),
                                [[2, 7], [15, 2], [100, 43]])


def test_prune_non_overlapping_boxes():
  # Coverage of each box by D or E: A 1/4, B 2/6, C 0.
  pruned, keep = box_list_ops.prune_non_overlapping_boxes(
      _abc(), _de(), min_overlap=0.3)
  _assert_boxes(pruned, [BOXES_ABC[1]])
  np.testing.assert_array_equal(keep, [1])
  _, keep = box_list_ops.prune_non_overlapping_boxes(_abc(), _de())
  np.testing.assert_array_equal(keep, [0, 1, 2])


def test_prune_small_boxes():
  kept = box_list_ops.prune_small_boxes(_abc(), 2.0)  # C is 1 x 1
  _assert_boxes(kept, BOXES_ABC[:2])
  np.testing.assert_allclose(kept.get_field("scores"), [0.3, 0.9])
  assert box_list_ops.prune_small_boxes(_abc(), 2.5).get().shape == [0, 4]


def test_change_coordinate_frame():
  # Window [1, 1, 3, 5]: height 2, width 4.
  # A: [(0-1)/2, (0-1)/4, (2-1)/2, (2-1)/4] = [-0.5, -0.25, 0.5, 0.25]
  # B: [0, 0, (3-1)/2, (4-1)/4] = [0, 0, 1, 0.75]
  changed = box_list_ops.change_coordinate_frame(
      _abc(), tf.constant([1.0, 1.0, 3.0, 5.0]))
  _assert_boxes(changed, [[-0.5, -0.25, 0.5, 0.25], [0, 0, 1, 0.75],
                          [2, 1, 2.5, 1.25]])
  np.testing.assert_array_equal(changed.get_field("classes"), [1, 2, 1])


def test_gather():
  gathered = box_list_ops.gather(_abc(), tf.constant([2, 0]))
  _assert_boxes(gathered, [BOXES_ABC[2], BOXES_ABC[0]])
  np.testing.assert_allclose(gathered.get_field("scores"), [0.5, 0.3])
  np.testing.assert_array_equal(gathered.get_field("classes"), [1, 1])
  only_boxes = box_list_ops.gather(_abc(), tf.constant([1], tf.int64),
                                   fields=[])
  assert only_boxes.get_all_fields() == ["boxes"]
  static = box_list_ops.gather(_abc(), tf.constant([2, 0]),
                               use_static_shapes=True)
  _assert_boxes(static, [BOXES_ABC[2], BOXES_ABC[0]])
  np.testing.assert_array_equal(static.get_field("classes"), [1, 1])


def test_gather_errors():
  with pytest.raises(ValueError, match=(
      r"^gather: indices must have rank 1, got shape \(1, 1\)$")):
    box_list_ops.gather(_abc(), tf.constant([[0]]))
  with pytest.raises(ValueError, match=(
      "^gather: indices must be int32 or int64, got float32$")):
    box_list_ops.gather(_abc(), tf.constant([0.0]))
  with pytest.raises(ValueError, match=(
      "^gather: boxlist has no field 'masks'; present fields: boxes, "
      "classes, scores$")):
    box_list_ops.gather(_abc(), tf.constant([0]), fields=["masks"])


def test_boolean_mask():
  indicator = tf.constant([True, False, True])
  masked = box_list_ops.boolean_mask(_abc(), indicator)
  _assert_boxes(masked, [BOXES_ABC[0], BOXES_ABC[2]])
  np.testing.assert_allclose(masked.get_field("scores"), [0.3, 0.5])
  static = box_list_ops.boolean_mask(_abc(), indicator,
                                     use_static_shapes=True, indicator_sum=2)
  _assert_boxes(static, [BOXES_ABC[0], BOXES_ABC[2]])
  np.testing.assert_array_equal(static.get_field("classes"), [1, 1])
  only_scores = box_list_ops.boolean_mask(_abc(), indicator,
                                          fields=["scores"])
  assert only_scores.get_all_fields() == ["boxes", "scores"]


def test_boolean_mask_errors():
  with pytest.raises(ValueError, match=(
      "^boolean_mask: indicator must be bool, got int32$")):
    box_list_ops.boolean_mask(_abc(), tf.constant([1, 0, 1]))
  with pytest.raises(ValueError, match=(
      r"^boolean_mask: indicator must have rank 1, got shape \(1, 3\)$")):
    box_list_ops.boolean_mask(_abc(), tf.constant([[True, False, True]]))
  with pytest.raises(ValueError, match=(
      "^boolean_mask: indicator_sum must be a positive Python int when "
      "use_static_shapes is True, got None$")):
    box_list_ops.boolean_mask(_abc(), tf.constant([True, False, True]),
                              use_static_shapes=True)


def test_concatenate():
  first = _abc()
  second = box_list.BoxList(tf.constant([[7.0, 7.0, 8.0, 8.0]]))
  second.add_field("scores", tf.constant([0.1]))
  second.add_field("classes", tf.constant([3]))
  joined = box_list_ops.concatenate([first, second])
  _assert_boxes(joined, BOXES_ABC + [[7, 7, 8, 8]])
  np.testing.assert_array_equal(joined.get_field("classes"), [1, 2, 1, 3])
  assert joined.get_extra_fields() == ["scores", "classes"]
  boxes_only = box_list_ops.concatenate((first, _de()), fields=[])
  assert boxes_only.num_boxes_static() == 5


def test_concatenate_errors():
  with pytest.raises(ValueError,
                     match="^concatenate: boxlists must not be empty$"):
    box_list_ops.concatenate([])
  with pytest.raises(ValueError, match=(
      "^concatenate: boxlists must be a list of BoxLists$")):
    box_list_ops.concatenate(_abc())
  with pytest.raises(ValueError, match=(
      "^concatenate: every element must be a BoxList, got EagerTensor$")):
    box_list_ops.concatenate([_abc(), tf.zeros([1, 4])])
  with pytest.raises(ValueError, match=(
      "^concatenate: boxlist has no field 'scores'; present fields: "
      "boxes$")):
    box_list_ops.concatenate([_abc(), _de()])
  masks_a = _de()
  masks_a.add_field("masks", tf.zeros([2, 3, 3]))
  masks_b = _de()
  masks_b.add_field("masks", tf.zeros([2, 4, 4]))
  with pytest.raises(ValueError, match=(
      r"^concatenate: field 'masks' must have the same shape apart from the "
      r"first dimension in every BoxList, got \[\[3, 3\], \[4, 4\]\]$")):
    box_list_ops.concatenate([masks_a, masks_b])


def test_sort_by_field_is_stable():
  # scores [0.3, 0.9, 0.5] -> descending order of indices 1, 2, 0.
  sorted_desc = box_list_ops.sort_by_field(_abc(), "scores")
  _assert_boxes(sorted_desc, [BOXES_ABC[1], BOXES_ABC[2], BOXES_ABC[0]])
  np.testing.assert_array_equal(sorted_desc.get_field("classes"), [2, 1, 1])
  tied = _abc()
  tied.set_field("scores", tf.constant([0.3, 0.9, 0.3]))
  np.testing.assert_allclose(
      box_list_ops.sort_by_field(tied, "scores").get_field("classes"),
      [2, 1, 1])
  ascending = box_list_ops.sort_by_field(tied, "scores",
                                         box_list_ops.SortOrder.ascend)
  _assert_boxes(ascending, [BOXES_ABC[0], BOXES_ABC[2], BOXES_ABC[1]])
  assert box_list_ops.SortOrder.ascend == 1
  assert box_list_ops.SortOrder.descend == 2


def test_sort_by_field_errors():
  with pytest.raises(ValueError, match=(
      r"^sort_by_field: order must be SortOrder.ascend \(1\) or "
      r"SortOrder.descend \(2\), got 3$")):
    box_list_ops.sort_by_field(_abc(), "scores", 3)
  with pytest.raises(ValueError, match=(
      "^sort_by_field: boxlist has no field 'x'; present fields: boxes, "
      "classes, scores$")):
    box_list_ops.sort_by_field(_abc(), "x")
  bad = _abc()
  bad.add_field("masks", tf.zeros([3, 2]))
  with pytest.raises(ValueError, match=(
      r"^sort_by_field: field 'masks' must have rank 1, got shape "
      r"\(3, 2\)$")):
    box_list_ops.sort_by_field(bad, "masks")
  bad.set_field("scores", tf.constant([0.1, 0.2]))
  with pytest.raises(ValueError, match=(
      "^sort_by_field: field 'scores' has 2 entries but there are 3 "
      "boxes$")):
    box_list_ops.sort_by_field(bad, "scores")


def test_filter_field_value_equals():
  kept = box_list_ops.filter_field_value_equals(_abc(), "classes", 1)
  _assert_boxes(kept, [BOXES_ABC[0], BOXES_ABC[2]])
  with pytest.raises(ValueError, match=(
      "^filter_field_value_equals: boxlist must be a BoxList$")):
    box_list_ops.filter_field_value_equals(tf.zeros([1, 4]), "classes", 1)


def test_filter_greater_than_is_strict():
  kept = box_list_ops.filter_greater_than(_abc(), 0.5)  # 0.5 itself drops
  _assert_boxes(kept, [BOXES_ABC[1]])
  column = _abc()
  column.set_field("scores", tf.constant([[0.3], [0.9], [0.5]]))
  kept = box_list_ops.filter_greater_than(column, 0.4)
  np.testing.assert_allclose(kept.get_field("scores"), [[0.9], [0.5]])
  with pytest.raises(ValueError, match=(
      "^filter_greater_than: boxlist has no field 'scores'; present fields: "
      "boxes$")):
    box_list_ops.filter_greater_than(_de(), 0.5)
  column.set_field("scores", tf.zeros([3, 2]))
  with pytest.raises(ValueError, match=(
      r"^filter_greater_than: scores must have shape \[N\] or \[N, 1\], got "
      r"\(3, 2\)$")):
    box_list_ops.filter_greater_than(column, 0.5)


def test_pad_or_clip_box_list():
  clipped = box_list_ops.pad_or_clip_box_list(_abc(), 2)
  _assert_boxes(clipped, BOXES_ABC[:2])
  np.testing.assert_array_equal(clipped.get_field("classes"), [1, 2])
  padded = box_list_ops.pad_or_clip_box_list(_abc(), 4)
  assert padded.get().shape.as_list() == [4, 4]
  _assert_boxes(padded, BOXES_ABC + [[0, 0, 0, 0]])
  np.testing.assert_allclose(padded.get_field("scores"), [0.3, 0.9, 0.5, 0])


def test_get_minimal_coverage_box():
  np.testing.assert_array_equal(
      box_list_ops.get_minimal_coverage_box(_abc()), [[0, 0, 6, 6]])
  np.testing.assert_array_equal(
      box_list_ops.get_minimal_coverage_box(_empty()), [[0, 0, 1, 1]])
  np.testing.assert_array_equal(
      box_list_ops.get_minimal_coverage_box(
          _empty(), tf.constant([[1.0, 2.0, 3.0, 4.0]])), [[1, 2, 3, 4]])


def test_to_normalized_and_absolute_coordinates():
  absolute = box_list.BoxList(tf.constant([[0.0, 4.0, 10.0, 20.0]]))
  # height 10, width 40: [0/10, 4/40, 10/10, 20/40]
  normalized = box_list_ops.to_normalized_coordinates(absolute, 10, 40)
  _assert_boxes(normalized, [[0, 0.1, 1, 0.5]])
  back = box_list_ops.to_absolute_coordinates(normalized, tf.constant(10),
                                              tf.constant(40))
  _assert_boxes(back, [[0, 4, 10, 20]])
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="boxes look already normalised"):
    box_list_ops.to_normalized_coordinates(normalized, 10, 40)
  with pytest.raises(tf.errors.InvalidArgumentError,
                     match="boxes look already absolute"):
    box_list_ops.to_absolute_coordinates(absolute, 10, 40)
  unchecked = box_list_ops.to_normalized_coordinates(
      normalized, 10, 40, check_range=False)
  _assert_boxes(unchecked, [[0, 0.0025, 0.1, 0.0125]])


_UNARY_OPS = {
    "area": lambda b: box_list_ops.area(b),
    "scale": lambda b: box_list_ops.scale(b, 2.0, 3.0).get(),
    "clip": lambda b: box_list_ops.clip_to_window(
        b, tf.constant([0.0, 0.0, 1.0, 1.0])).get(),
    "prune_outside": lambda b: box_list_ops.prune_outside_window(
        b, tf.constant([0.0, 0.0, 1.0, 1.0]))[1],
    "prune_completely_outside":
        lambda b: box_list_ops.prune_completely_outside_window(
            b, tf.constant([0.0, 0.0, 1.0, 1.0]))[1],
    "iou": lambda b: box_list_ops.iou(b, _de()),
    "ioa": lambda b: box_list_ops.ioa(_de(), b),
    "matched_iou": lambda b: box_list_ops.matched_iou(b, b),
    "sq_dist": lambda b: box_list_ops.sq_dist(b, _de()),
    "prune_non_overlapping":
        lambda b: box_list_ops.prune_non_overlapping_boxes(b, _de())[1],
    "prune_non_overlapping_empty_other":
        lambda b: box_list_ops.prune_non_overlapping_boxes(_abc(), b)[1],
    "prune_small": lambda b: box_list_ops.prune_small_boxes(b, 1.0).get(),
    "change_frame": lambda b: box_list_ops.change_coordinate_frame(
        b, tf.constant([0.0, 0.0, 2.0, 2.0])).get(),
    "gather": lambda b: box_list_ops.gather(
        b, tf.zeros([0], tf.int32)).get_field("classes"),
    "boolean_mask": lambda b: box_list_ops.boolean_mask(
        b, tf.zeros([0], tf.bool)).get_field("scores"),
    "concatenate": lambda b: box_list_ops.concatenate([b, b]).get(),
    "sort": lambda b: box_list_ops.sort_by_field(b, "scores").get(),
    "filter_equals": lambda b: box_list_ops.filter_field_value_equals(
        b, "classes", 1).get(),
    "filter_greater": lambda b: box_list_ops.filter_greater_than(
        b, 0.1).get(),
    "pad": lambda b: box_list_ops.pad_or_clip_box_list(b, 2).get(),
    "to_normalized": lambda b: box_list_ops.to_normalized_coordinates(
        b, 10, 10).get(),
    "to_absolute": lambda b: box_list_ops.to_absolute_coordinates(
        b, 10, 10).get(),
}

_EMPTY_RESULT_SHAPES = {
    "area": [0], "scale": [0, 4], "clip": [0, 4], "prune_outside": [0],
    "prune_completely_outside": [0], "iou": [0, 2], "ioa": [2, 0],
    "matched_iou": [0], "sq_dist": [0, 2], "prune_non_overlapping": [0],
    "prune_non_overlapping_empty_other": [0], "prune_small": [0, 4],
    "change_frame": [0, 4], "gather": [0], "boolean_mask": [0],
    "concatenate": [0, 4], "sort": [0, 4], "filter_equals": [0, 4],
    "filter_greater": [0, 4], "pad": [2, 4], "to_normalized": [0, 4],
    "to_absolute": [0, 4],
}


@pytest.mark.parametrize("name", sorted(_UNARY_OPS))
def test_empty_box_list(name):
  result = _UNARY_OPS[name](_empty())
  assert result.shape.as_list() == _EMPTY_RESULT_SHAPES[name]


def test_ops_inside_tf_function_with_unknown_num_boxes():
  @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32),
                                tf.TensorSpec([None], tf.float32)])
  def pipeline(boxes, scores):
    boxlist = box_list.BoxList(boxes)
    boxlist.add_field("scores", scores)
    clipped = box_list_ops.clip_to_window(
        boxlist, tf.constant([0.0, 0.0, 2.5, 3.0]))
    ranked = box_list_ops.sort_by_field(clipped, "scores")
    overlaps = box_list_ops.iou(ranked, _de())
    masked = box_list_ops.boolean_mask(
        ranked, box_list_ops.area(ranked) > 2.0)
    padded = box_list_ops.pad_or_clip_box_list(masked, 3)
    coverage = box_list_ops.get_minimal_coverage_box(ranked)
    return ranked.get(), overlaps, padded.get(), coverage

  ranked, overlaps, padded, coverage = pipeline(
      tf.constant(BOXES_ABC), tf.constant([0.3, 0.9, 0.5]))
  # Clipping drops C; B ([1, 1, 2.5, 3], area 1.5 * 2 = 3) outranks A.
  np.testing.assert_allclose(ranked, [[1, 1, 2.5, 3], [0, 0, 2, 2]])
  # IoU clipped B with E = [1, 2, 3, 3]: inter 1.5 * 1 = 1.5,
  # union 3 + 2 - 1.5 = 3.5.
  np.testing.assert_allclose(overlaps, [[0, 1.5 / 3.5], [0.25, 0]],
                             rtol=1e-6)
  np.testing.assert_allclose(padded, [[1, 1, 2.5, 3], [0, 0, 2, 2],
                                      [0, 0, 0, 0]])
  np.testing.assert_allclose(coverage, [[0, 0, 2.5, 3]])
  ranked, overlaps, padded, coverage = pipeline(tf.zeros([0, 4]),
                                                tf.zeros([0]))
  assert ranked.shape == [0, 4] and overlaps.shape == [0, 2]
  np.testing.assert_array_equal(padded, np.zeros([3, 4]))
  np.testing.assert_array_equal(coverage, [[0, 0, 1, 1]])


def test_static_boolean_mask_inside_tf_function():
  @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32),
                                tf.TensorSpec([None], tf.bool)])
  def select(boxes, indicator):
    selected = box_list_ops.boolean_mask(
        box_list.BoxList(boxes), indicator, use_static_shapes=True,
        indicator_sum=2)
    assert selected.num_boxes_static() == 2
    return selected.get()

  np.testing.assert_array_equal(
      select(tf.constant(BOXES_ABC), tf.constant([False, True, True])),
      BOXES_ABC[1:])
