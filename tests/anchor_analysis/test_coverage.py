"""Tests for object_detection/anchor_analysis/coverage.py and the k-means
of search.py."""

import numpy as np
import pytest

from object_detection.anchor_analysis import coverage
from object_detection.anchor_analysis import search


def _iou(box, anchor):
  h = max(0.0, min(box[2], anchor[2]) - max(box[0], anchor[0]))
  w = max(0.0, min(box[3], anchor[3]) - max(box[1], anchor[1]))
  inter = h * w
  area = lambda b: (b[2] - b[0]) * (b[3] - b[1])
  return inter / (area(box) + area(anchor) - inter)


def test_best_iou_matches_a_direct_computation_across_chunks():
  rng = np.random.default_rng(0)
  corners = rng.uniform(0, 100, [600, 2])
  sizes = rng.uniform(2, 40, [600, 2])
  boxes = np.concatenate([corners, corners + sizes], axis=1)
  anchors = boxes[:50] + rng.uniform(-3, 3, [50, 4])
  anchors[:, 2:] = np.maximum(anchors[:, 2:], anchors[:, :2] + 1)
  best, index = coverage.best_iou(boxes, anchors, chunk=128)
  for i in (0, 1, 127, 128, 300, 599):
    expected = [_iou(boxes[i], a) for a in anchors]
    assert best[i] == pytest.approx(max(expected), abs=1e-5)
    assert expected[index[i]] == pytest.approx(max(expected), abs=1e-5)


def test_boxes_on_anchors_have_iou_one_and_disjoint_ones_zero():
  anchors = np.array([[0, 0, 10, 10], [20, 20, 40, 30]], np.float32)
  best, index = coverage.best_iou(
      np.array([[20, 20, 40, 30], [0, 0, 10, 10], [50, 50, 60, 60]]),
      anchors)
  np.testing.assert_allclose(best, [1.0, 1.0, 0.0])
  assert list(index[:2]) == [1, 0]
  with pytest.raises(ValueError, match="no anchors"):
    coverage.best_iou(anchors, np.zeros([0, 4]))


def test_coverage_groups_by_size_aspect_and_class():
  boxes = np.array([[0, 0, 10, 10],      # small, square
                    [0, 0, 50, 50],      # medium, square
                    [0, 0, 100, 120],    # large, square-ish
                    [0, 0, 12, 100]],    # medium area, wide
                   np.float32)
  best = np.array([0.9, 0.6, 0.75, 0.3], np.float32)
  result = coverage.coverage(best, boxes, np.array([1, 1, 2, 2]), 0.7)
  assert result.overall.count == 4
  assert result.overall.at_threshold == pytest.approx(0.5)
  assert result.overall.at_half == pytest.approx(0.75)
  assert result.by_size["small"].count == 1
  assert result.by_size["medium"].count == 2
  assert result.by_size["large"].at_threshold == 1.0
  assert result.by_aspect["h/w < 1/3"].count == 1
  assert result.by_aspect["2/3-3/2"].count == 3
  assert result.by_class[2].mean_best_iou == pytest.approx(0.525)
  assert coverage.worst(best, 0.7) == [3, 1]


def test_kmeans_shapes_is_deterministic_and_finds_the_clusters():
  rng = np.random.default_rng(1)
  tall = rng.normal([40, 10], 1.0, [50, 2])
  wide = rng.normal([10, 40], 1.0, [50, 2])
  shapes = np.concatenate([tall, wide])
  first = search.kmeans_shapes(shapes, 2)
  np.testing.assert_array_equal(first, search.kmeans_shapes(shapes, 2))
  centres = sorted(map(tuple, np.round(first)))
  assert centres == [(10.0, 40.0), (40.0, 10.0)]
  ((low, high),) = search.aspect_ratio_sets(shapes, [2])
  assert low == pytest.approx(0.25, abs=0.02) and high == pytest.approx(4.0, abs=0.2)
