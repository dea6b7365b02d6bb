"""Tests for object_detection/metrics/coco_evaluation.py (and coco_tools.py).

Arithmetic used below: COCO averages precision at 101 recall points
0.00, 0.01, ..., 1.00, taking at each point the best precision reached at
that recall or higher (0 where the recall is never reached). mAP averages
that over the 10 IoU thresholds .50, .55, ..., .95.
"""

import numpy as np
import pytest

from object_detection.core import standard_fields
from object_detection.metrics import coco_evaluation
from object_detection.metrics import coco_tools

F = standard_fields.InputDataFields
D = standard_fields.DetectionResultFields
CATS = [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
SUMMARY = ("Precision/mAP", "Precision/mAP@.50IOU", "Precision/mAP@.75IOU",
           "Precision/mAP (small)", "Precision/mAP (medium)",
           "Precision/mAP (large)", "Recall/AR@1", "Recall/AR@10",
           "Recall/AR@100", "Recall/AR@100 (small)", "Recall/AR@100 (medium)",
           "Recall/AR@100 (large)")


def _gt(boxes, classes, **extra):
  d = {F.groundtruth_boxes: np.array(boxes, np.float32).reshape([-1, 4]),
       F.groundtruth_classes: np.array(classes, np.int32)}
  d.update(extra)
  return d


def _det(boxes, scores, classes):
  return {D.detection_boxes: np.array(boxes, np.float32).reshape([-1, 4]),
          D.detection_scores: np.array(scores, np.float32),
          D.detection_classes: np.array(classes, np.float32)}


def _box_map(gt, det, **kwargs):
  evaluator = coco_evaluation.CocoDetectionEvaluator(CATS, **kwargs)
  evaluator.add_single_ground_truth_image_info("img", gt)
  evaluator.add_single_detected_image_info("img", det)
  return evaluator.evaluate()


def _square_mask(size, y0, x0, y1, x1):
  mask = np.zeros([size, size], np.uint8)
  mask[y0:y1, x0:x1] = 1
  return mask


def test_boxes_to_coco_xywh_layout():
  # [ymin=1, xmin=2, ymax=5, xmax=10] -> [x=2, y=1, w=10-2=8, h=5-1=4].
  np.testing.assert_allclose(
      coco_tools.boxes_to_coco_xywh(np.array([[1., 2., 5., 10.]])),
      [[2., 1., 8., 4.]])


def test_perfect_boxes_give_one_and_exact_metric_names():
  evaluator = coco_evaluation.CocoDetectionEvaluator(CATS)
  # Image 1: a small cat (10x10 = 100 px) and a medium dog (40x40 = 1600 px,
  # between 32^2 = 1024 and 96^2 = 9216). No large object: large = -1.
  boxes = [[0, 0, 10, 10], [20, 20, 60, 60]]
  evaluator.add_single_ground_truth_image_info(1, _gt(boxes, [1, 2]))
  evaluator.add_single_detected_image_info(1, _det(boxes, [0.9, 0.8], [1, 2]))
  evaluator.add_single_ground_truth_image_info(b"two", _gt([[5, 5, 9, 30]],
                                                           [1]))
  evaluator.add_single_detected_image_info(b"two", _det([[5, 5, 9, 30]], [0.3],
                                                        [1]))
  metrics = evaluator.evaluate()
  assert sorted(metrics) == sorted("DetectionBoxes_" + n for n in SUMMARY)
  for name in SUMMARY:
    expected = -1.0 if "(large)" in name else 1.0
    assert metrics["DetectionBoxes_" + name] == pytest.approx(expected), name


def test_perfect_masks_give_one():
  evaluator = coco_evaluation.CocoMaskEvaluator(CATS)
  masks = np.stack([_square_mask(16, 0, 0, 4, 4),
                    _square_mask(16, 8, 2, 16, 9)])
  gt = _gt([[0, 0, 4, 4], [8, 2, 16, 9]], [1, 2],
           **{F.groundtruth_instance_masks: masks})
  evaluator.add_single_ground_truth_image_info("img", gt)
  evaluator.add_single_detected_image_info("img", {
      D.detection_masks: masks.astype(bool),
      D.detection_scores: np.array([0.9, 0.7]),
      D.detection_classes: np.array([1, 2])})
  metrics = evaluator.evaluate()
  assert sorted(metrics) == sorted("DetectionMasks_" + n for n in SUMMARY)
  assert metrics["DetectionMasks_Precision/mAP"] == pytest.approx(1.0)
  assert metrics["DetectionMasks_Recall/AR@100"] == pytest.approx(1.0)


def test_one_of_two_objects_detected():
  # Recall 0.5 at precision 1 for every IoU: points 0.00..0.50 (51 of 101)
  # score 1, the 50 above score 0 -> AP = 51 / 101 = 0.50495.
  metrics = _box_map(_gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1]),
                     _det([[0, 0, 10, 10]], [0.8], [1]))
  assert metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(51 / 101)
  assert metrics["DetectionBoxes_Precision/mAP@.50IOU"] == pytest.approx(
      51 / 101)
  assert metrics["DetectionBoxes_Recall/AR@100"] == pytest.approx(0.5)


def test_false_positive_ranked_first():
  # Detections by score: FP (0.9) then TP (0.8). Precision/recall after each:
  # (0/1, 0), (1/2, 0.5). Best precision at recall >= r for r <= 0.5 is 0.5,
  # so AP = 51 * 0.5 / 101 = 0.25248. With one detection kept only the FP
  # counts: AR@1 = 0; AR@10 = 0.5.
  metrics = _box_map(
      _gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1]),
      _det([[40, 40, 50, 50], [0, 0, 10, 10]], [0.9, 0.8], [1, 1]))
  assert metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(25.5 / 101)
  assert metrics["DetectionBoxes_Recall/AR@1"] == pytest.approx(0.0)
  assert metrics["DetectionBoxes_Recall/AR@10"] == pytest.approx(0.5)


def test_partial_overlap_counts_only_at_low_iou_thresholds():
  # GT [ymin 10, xmin 20, ymax 20, xmax 40] is 10 x 20 = 200 px; the
  # detection keeps xmax = 34.4: overlap 10 x 14.4 = 144 px, IoU = 0.72.
  # It matches at .50, .55, .60, .65, .70 (5 of 10 thresholds): mAP = 0.5.
  metrics = _box_map(_gt([[10, 20, 20, 40]], [1]),
                     _det([[10, 20, 20, 34.4]], [0.5], [1]))
  assert metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(0.5)
  assert metrics["DetectionBoxes_Precision/mAP@.50IOU"] == pytest.approx(1.0)
  assert metrics["DetectionBoxes_Precision/mAP@.75IOU"] == pytest.approx(0.0)


def test_half_overlapping_mask_uses_mask_iou():
  # GT mask: rows 0-7, cols 0-7 (64 px). Detection: rows 0-7, cols 0-3
  # (32 px) -> IoU 32 / 64 = 0.5: a match only at the .50 threshold, so
  # mAP = 1 / 10 = 0.1.
  evaluator = coco_evaluation.CocoMaskEvaluator(CATS)
  evaluator.add_single_ground_truth_image_info("img", _gt(
      [[0, 0, 8, 8]], [1],
      **{F.groundtruth_instance_masks: _square_mask(16, 0, 0, 8, 8)[None]}))
  evaluator.add_single_detected_image_info("img", {
      D.detection_masks: _square_mask(16, 0, 0, 8, 4)[None],
      D.detection_scores: np.array([0.9]), D.detection_classes: np.array([1])})
  metrics = evaluator.evaluate()
  assert metrics["DetectionMasks_Precision/mAP@.50IOU"] == pytest.approx(1.0)
  assert metrics["DetectionMasks_Precision/mAP@.75IOU"] == pytest.approx(0.0)
  assert metrics["DetectionMasks_Precision/mAP"] == pytest.approx(0.1)


def test_per_category_names_and_values():
  # cat found exactly, the dog missed: cat AP 1, dog AP 0, mean 0.5.
  gt = _gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 2])
  det = _det([[0, 0, 10, 10]], [0.9], [1])
  metrics = _box_map(gt, det, include_metrics_per_category=True)
  assert metrics["DetectionBoxes_PerformanceByCategory/mAP/cat"] == (
      pytest.approx(1.0))
  assert metrics["DetectionBoxes_PerformanceByCategory/mAP/dog"] == (
      pytest.approx(0.0))
  assert metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(0.5)
  assert len(metrics) == 12 + 2
  full = _box_map(gt, det, include_metrics_per_category=True,
                  all_metrics_per_category=True)
  assert len(full) == 12 + 2 + 2 * 12
  assert full["DetectionBoxes_Recall/AR@100 ByCategory/dog"] == (
      pytest.approx(0.0))
  assert full["DetectionBoxes_Precision/mAP (large) ByCategory/cat"] == (
      pytest.approx(-1.0))
  assert full["DetectionBoxes_Precision/mAP@.75IOU ByCategory/cat"] == (
      pytest.approx(1.0))


def test_per_category_equals_summary_for_a_single_category():
  gt = _gt([[0, 0, 10, 10], [20, 20, 30, 30]], [1, 1])
  det = _det([[40, 40, 50, 50], [0, 0, 10, 10]], [0.9, 0.8], [1, 1])
  metrics = _box_map(gt, det, include_metrics_per_category=True,
                     all_metrics_per_category=True)
  for name in SUMMARY:
    assert metrics["DetectionBoxes_%s ByCategory/cat" % name] == (
        pytest.approx(metrics["DetectionBoxes_" + name])), name


def test_mask_per_category_prefix():
  evaluator = coco_evaluation.CocoMaskEvaluator(
      CATS, include_metrics_per_category=True)
  evaluator.add_single_ground_truth_image_info("img", _gt(
      [[0, 0, 8, 8]], [2],
      **{F.groundtruth_instance_masks: _square_mask(8, 0, 0, 8, 8)[None]}))
  evaluator.add_single_detected_image_info("img", {
      D.detection_masks: _square_mask(8, 0, 0, 8, 8)[None],
      D.detection_scores: np.array([0.9]), D.detection_classes: np.array([2])})
  metrics = evaluator.evaluate()
  assert metrics["DetectionMasks_PerformanceByCategory/mAP/dog"] == (
      pytest.approx(1.0))
  # No cat groundtruth: COCO leaves its AP undefined (-1).
  assert metrics["DetectionMasks_PerformanceByCategory/mAP/cat"] == (
      pytest.approx(-1.0))


def test_crowd_regions_are_ignored():
  boxes = [[0, 0, 10, 10], [20, 20, 30, 30]]
  found_first = _det([[0, 0, 10, 10]], [0.8], [1])
  # Not crowd: the second object is missed -> 51/101 (see above).
  plain = _box_map(_gt(boxes, [1, 1]), found_first)
  assert plain["DetectionBoxes_Precision/mAP"] == pytest.approx(51 / 101)
  # Crowd: it needs no detection -> recall 1, AP 1.
  crowd = {F.groundtruth_is_crowd: np.array([False, True])}
  assert _box_map(_gt(boxes, [1, 1], **crowd), found_first)[
      "DetectionBoxes_Precision/mAP"] == pytest.approx(1.0)
  # A higher-scored detection on the crowd region is not a false positive.
  # Without the crowd box it is one: FP then TP on the only object gives
  # precision 1/2 at recall 1, so 0.5 at all 101 points.
  with_crowd_hit = _det([[20, 20, 30, 30], [0, 0, 10, 10]], [0.9, 0.8],
                        [1, 1])
  assert _box_map(_gt(boxes, [1, 1], **crowd), with_crowd_hit)[
      "DetectionBoxes_Precision/mAP"] == pytest.approx(1.0)
  assert _box_map(_gt(boxes[:1], [1]), with_crowd_hit)[
      "DetectionBoxes_Precision/mAP"] == pytest.approx(0.5)


def test_groundtruth_area_sets_the_size_bucket():
  # A 10x10 box given area 2000 (between 32^2 and 96^2) counts as medium.
  metrics = _box_map(
      _gt([[0, 0, 10, 10]], [1], **{F.groundtruth_area: np.array([2000.])}),
      _det([[0, 0, 10, 10]], [0.9], [1]))
  assert metrics["DetectionBoxes_Precision/mAP (medium)"] == pytest.approx(1.0)
  assert metrics["DetectionBoxes_Precision/mAP (small)"] == pytest.approx(-1.0)


def test_empty_and_unknown_class_detections_give_zero():
  gt = _gt([[0, 0, 10, 10]], [1])
  for det in (_det(np.zeros([0, 4]), [], []),
              _det([[0, 0, 10, 10]], [0.9], [7])):  # class 7 is not known.
    metrics = _box_map(gt, det)
    assert metrics["DetectionBoxes_Precision/mAP"] == pytest.approx(0.0)
    assert metrics["DetectionBoxes_Recall/AR@100"] == pytest.approx(0.0)
  # An image whose detections are never added counts as all missed too.
  evaluator = coco_evaluation.CocoDetectionEvaluator(CATS)
  evaluator.add_single_ground_truth_image_info(3, gt)
  assert evaluator.evaluate()["DetectionBoxes_Precision/mAP"] == (
      pytest.approx(0.0))


def test_clear_forgets_images_and_nothing_is_printed(capsys):
  evaluator = coco_evaluation.CocoDetectionEvaluator(CATS)
  evaluator.add_single_ground_truth_image_info("a", _gt([[0, 0, 9, 9]], [1]))
  evaluator.add_single_detected_image_info("a", _det([[0, 0, 9, 9]], [1.], [1]))
  assert evaluator.evaluate()["DetectionBoxes_Precision/mAP"] == (
      pytest.approx(1.0))
  assert capsys.readouterr().out == ""
  evaluator.clear()
  with pytest.raises(ValueError, match=r"evaluate: no groundtruth was added"):
    evaluator.evaluate()
  evaluator.add_single_ground_truth_image_info("a", _gt([[0, 0, 9, 9]], [1]))
  assert evaluator.evaluate()["DetectionBoxes_Precision/mAP"] == (
      pytest.approx(0.0))


def test_repeated_or_missing_image_ids_raise():
  evaluator = coco_evaluation.CocoDetectionEvaluator(CATS)
  gt = _gt([[0, 0, 9, 9]], [1])
  det = _det([[0, 0, 9, 9]], [1.], [1])
  evaluator.add_single_ground_truth_image_info("a", gt)
  with pytest.raises(ValueError, match=(
      r"CocoDetectionEvaluator.add_single_ground_truth_image_info"
      r"\(image_id='a'\): groundtruth for this image id was already added")):
    evaluator.add_single_ground_truth_image_info("a", gt)
  evaluator.add_single_detected_image_info("a", det)
  with pytest.raises(ValueError, match=r"detections for this image id were "
                     r"already added"):
    evaluator.add_single_detected_image_info("a", det)
  with pytest.raises(ValueError, match=r"\(image_id='b'\): no groundtruth was "
                     r"added for this image id"):
    evaluator.add_single_detected_image_info("b", det)


@pytest.mark.parametrize("gt, message", [
    (_gt([[0, 0, 9, 9]], [1]) | {F.groundtruth_boxes: np.zeros([4])},
     r"groundtruth_boxes must have rank 2 and shape \[N, 4\], got shape "
     r"\(4,\)"),
    (_gt([[0, 0, 9, 9]], [1]) | {F.groundtruth_boxes: np.zeros([1, 5])},
     r"groundtruth_boxes must have rank 2 and shape \[N, 4\], got shape "
     r"\(1, 5\)"),
    (_gt([[0, 0, 9, 9]], [1, 2]),
     r"first dimensions must agree .*'groundtruth_boxes': 1, "
     r"'groundtruth_classes': 2"),
    ({F.groundtruth_boxes: np.zeros([1, 4])},
     r"missing required key 'groundtruth_classes'"),
])
def test_bad_groundtruth_raises(gt, message):
  evaluator = coco_evaluation.CocoDetectionEvaluator(CATS)
  with pytest.raises(ValueError, match=message):
    evaluator.add_single_ground_truth_image_info("a", gt)


def test_bad_masks_raise():
  evaluator = coco_evaluation.CocoMaskEvaluator(CATS)
  mask = _square_mask(8, 0, 0, 4, 4)[None]
  gt = _gt([[0, 0, 4, 4]], [1])
  with pytest.raises(ValueError, match=r"missing required key "
                     r"'groundtruth_instance_masks'"):
    evaluator.add_single_ground_truth_image_info("a", gt)
  with pytest.raises(ValueError, match=r"groundtruth_instance_masks must hold "
                     r"only 0 and 1, got values \[0, 255\]"):
    evaluator.add_single_ground_truth_image_info(
        "a", dict(gt, **{F.groundtruth_instance_masks: mask * 255}))
  evaluator.add_single_ground_truth_image_info(
      "a", dict(gt, **{F.groundtruth_instance_masks: mask}))
  with pytest.raises(ValueError, match=r"detection_masks are 4x8 but the "
                     r"groundtruth masks are 8x8"):
    evaluator.add_single_detected_image_info("a", {
        D.detection_masks: np.zeros([1, 4, 8], np.uint8),
        D.detection_scores: np.array([1.]), D.detection_classes: np.array([1])})


@pytest.mark.parametrize("categories, message", [
    ([], r"categories must not be empty"),
    ([{"id": 1}], r"categories\[0\] must have keys 'id' and 'name'"),
    ([{"id": 1, "name": "a"}, {"id": 1, "name": "b"}],
     r"categories\[1\]: id 1 is used twice"),
])
def test_bad_categories_raise(categories, message):
  with pytest.raises(ValueError, match=message):
    coco_evaluation.CocoDetectionEvaluator(categories)
