"""COCO json records from numpy arrays, and a quiet pycocotools evaluation.

Conventions:
  * Boxes come in as absolute pixel [ymin, xmin, ymax, xmax]; COCO stores
    `bbox` as [x, y, width, height] (see `boxes_to_coco_xywh`).
  * Masks are integer or bool [num_instances, height, width] arrays with
    values in {0, 1}; they are stored as pycocotools RLE dicts whose `counts`
    is a str, so records are JSON-serialisable.
  * A groundtruth `area` is the given area when it is positive, otherwise the
    box area (the TF OD API's rule, also for masks), so the small / medium /
    large split of groundtruth follows box area unless areas are given.
  * Inputs here are already validated (see coco_evaluation.py); these
    functions only convert.
  * Nothing here prints: pycocotools' stdout is captured and sent to absl
    logging at INFO level.

Metric names (without the `DetectionBoxes_` / `DetectionMasks_` prefix the
evaluators add) are the TF OD API's.
"""

import contextlib
import io
from typing import Any, Dict, Iterator, List, Optional, Sequence

from absl import logging
import numpy as np
from pycocotools import coco
from pycocotools import cocoeval
from pycocotools import mask as mask_util

# (name, is_precision, iou_threshold or None for .50:.95, area, max_dets), in
# the order of COCOeval.stats.
_STAT_SPECS = (
    ("Precision/mAP", True, None, "all", 100),
    ("Precision/mAP@.50IOU", True, 0.5, "all", 100),
    ("Precision/mAP@.75IOU", True, 0.75, "all", 100),
    ("Precision/mAP (small)", True, None, "small", 100),
    ("Precision/mAP (medium)", True, None, "medium", 100),
    ("Precision/mAP (large)", True, None, "large", 100),
    ("Recall/AR@1", False, None, "all", 1),
    ("Recall/AR@10", False, None, "all", 10),
    ("Recall/AR@100", False, None, "all", 100),
    ("Recall/AR@100 (small)", False, None, "small", 100),
    ("Recall/AR@100 (medium)", False, None, "medium", 100),
    ("Recall/AR@100 (large)", False, None, "large", 100),
)
METRIC_NAMES = tuple(spec[0] for spec in _STAT_SPECS)
IOU_TYPES = ("bbox", "segm")


@contextlib.contextmanager
def _stdout_to_log() -> Iterator[None]:
  """Captures what pycocotools prints and logs it at INFO when done."""
  buffer = io.StringIO()
  try:
    with contextlib.redirect_stdout(buffer):
      yield
  finally:
    text = buffer.getvalue().strip()
    if text:
      logging.debug("pycocotools:\n%s", text)


def boxes_to_coco_xywh(boxes: np.ndarray) -> np.ndarray:
  """Converts boxes to COCO's layout.

  Args:
    boxes: float [num_boxes, 4] absolute [ymin, xmin, ymax, xmax].

  Returns:
    float64 [num_boxes, 4] boxes as [xmin, ymin, width, height].
  """
  boxes = np.asarray(boxes, dtype=np.float64).reshape([-1, 4])
  ymin, xmin, ymax, xmax = boxes.T
  return np.stack([xmin, ymin, xmax - xmin, ymax - ymin], axis=1)


def encode_mask(mask: np.ndarray) -> Dict[str, Any]:
  """Run-length encodes one binary mask with pycocotools.

  Args:
    mask: integer or bool [height, width] array with values in {0, 1}.

  Returns:
    dict {'size': [height, width], 'counts': str}, a COCO compressed RLE.
  """
  rle = mask_util.encode(np.asfortranarray(mask, dtype=np.uint8))
  rle["counts"] = rle["counts"].decode("ascii")
  return rle


def groundtruth_annotations(
    image_id: int, first_annotation_id: int, category_ids: Sequence[int],
    boxes: np.ndarray, classes: np.ndarray,
    is_crowd: Optional[np.ndarray] = None, area: Optional[np.ndarray] = None,
    masks: Optional[np.ndarray] = None) -> List[Dict[str, Any]]:
  """COCO annotation records for the groundtruth of one image.

  Objects whose class is not in `category_ids` are dropped, as the TF OD API
  does; the kept objects are numbered from `first_annotation_id` in input
  order (dropped ones leave a gap).

  Args:
    image_id: the COCO image id of the records.
    first_annotation_id: id of the first record; ids must be unique across
      the whole dataset and positive.
    category_ids: the known category ids.
    boxes: float [num_boxes, 4] absolute [ymin, xmin, ymax, xmax].
    classes: int [num_boxes] 1-based class ids.
    is_crowd: optional bool/int [num_boxes], 1 for a crowd region.
    area: optional float [num_boxes] object areas in pixels; a value <= 0
      falls back to the box area.
    masks: optional {0, 1} [num_boxes, height, width] instance masks.

  Returns:
    list of dicts with keys id, image_id, category_id, bbox, area, iscrowd
    (and segmentation when `masks` is given).
  """
  known = set(category_ids)
  xywh = boxes_to_coco_xywh(boxes)
  records = []
  for i, class_id in enumerate(np.asarray(classes).astype(np.int64)):
    if int(class_id) not in known:
      continue
    box_area = float(xywh[i, 2] * xywh[i, 3])
    record = {
        "id": first_annotation_id + i,
        "image_id": image_id,
        "category_id": int(class_id),
        "bbox": [float(v) for v in xywh[i]],
        "area": (float(area[i]) if area is not None and area[i] > 0
                 else box_area),
        "iscrowd": int(bool(is_crowd[i])) if is_crowd is not None else 0,
    }
    if masks is not None:
      record["segmentation"] = encode_mask(masks[i])
    records.append(record)
  return records


def detection_annotations(
    image_id: int, category_ids: Sequence[int], scores: np.ndarray,
    classes: np.ndarray, boxes: Optional[np.ndarray] = None,
    masks: Optional[np.ndarray] = None) -> List[Dict[str, Any]]:
  """COCO result records for the detections of one image.

  Exactly one of `boxes` and `masks` is used: boxes give `bbox` results,
  masks give `segmentation` results. Detections whose class is not in
  `category_ids` are dropped.

  Args:
    image_id: the COCO image id of the records.
    category_ids: the known category ids.
    scores: float [num_detections] confidences.
    classes: int [num_detections] 1-based class ids.
    boxes: float [num_detections, 4] absolute [ymin, xmin, ymax, xmax].
    masks: {0, 1} [num_detections, height, width] instance masks.

  Returns:
    list of dicts with keys image_id, category_id, score and bbox or
    segmentation (without ids, areas: `evaluate` adds them).
  """
  known = set(category_ids)
  xywh = boxes_to_coco_xywh(boxes) if boxes is not None else None
  records = []
  for i, class_id in enumerate(np.asarray(classes).astype(np.int64)):
    if int(class_id) not in known:
      continue
    record = {"image_id": image_id, "category_id": int(class_id),
              "score": float(scores[i])}
    if masks is not None:
      record["segmentation"] = encode_mask(masks[i])
    else:
      record["bbox"] = [float(v) for v in xywh[i]]
    records.append(record)
  return records


def _results_dataset(groundtruth: coco.COCO, detections: List[Dict[str, Any]],
                     iou_type: str) -> coco.COCO:
  """A COCO object of detections (what COCO.loadRes makes, empty-safe)."""
  annotations = []
  for index, detection in enumerate(detections):
    record = dict(detection, id=index + 1, iscrowd=0)
    if iou_type == "segm":
      record["area"] = float(mask_util.area(record["segmentation"]))
      record["bbox"] = [float(v) for v in
                        mask_util.toBbox(record["segmentation"])]
    else:
      record["area"] = float(record["bbox"][2] * record["bbox"][3])
    annotations.append(record)
  results = coco.COCO()
  results.dataset = {"images": list(groundtruth.dataset["images"]),
                     "categories": list(groundtruth.dataset["categories"]),
                     "annotations": annotations}
  results.createIndex()
  return results


def _summary_value(evaluator: cocoeval.COCOeval, is_precision: bool,
                   iou_threshold: Optional[float], area: str, max_dets: int,
                   category_index: Optional[int]) -> float:
  """One COCO summary number, for all categories or for one.

  The mean over the defined entries (> -1) of the accumulated precision
  [iou, recall_threshold, category, area, max_dets] or recall
  [iou, category, area, max_dets] array; -1 when none is defined (no
  groundtruth of that kind), like COCOeval.summarize.
  """
  params = evaluator.params
  values = evaluator.eval["precision" if is_precision else "recall"]
  if iou_threshold is not None:
    values = values[np.isclose(params.iouThrs, iou_threshold)]
  area_index = list(params.areaRngLbl).index(area)
  dets_index = list(params.maxDets).index(max_dets)
  if is_precision:
    values = values[:, :, :, area_index, dets_index]
  else:
    values = values[:, :, area_index, dets_index]
  if category_index is not None:
    values = values[..., category_index]
  defined = values[values > -1]
  return float(np.mean(defined)) if defined.size else -1.0


def evaluate(groundtruth_dataset: Dict[str, Any],
             detections: List[Dict[str, Any]], iou_type: str,
             include_metrics_per_category: bool = False,
             all_metrics_per_category: bool = False) -> Dict[str, float]:
  """Runs COCOeval (evaluate, accumulate, summarize) without printing.

  Args:
    groundtruth_dataset: COCO dataset dict with 'images', 'categories'
      ({'id', 'name'} dicts) and 'annotations' (`groundtruth_annotations`).
    detections: result records from `detection_annotations`.
    iou_type: 'bbox' or 'segm'.
    include_metrics_per_category: add 'PerformanceByCategory/mAP/<name>'.
    all_metrics_per_category: also add '<metric> ByCategory/<name>' for each
      of METRIC_NAMES (only with include_metrics_per_category).

  Returns:
    dict of python floats keyed by METRIC_NAMES (plus the per-category keys);
    -1.0 where COCO leaves a metric undefined (no groundtruth of that kind).

  Raises:
    ValueError: if iou_type is not one of IOU_TYPES.
  """
  if iou_type not in IOU_TYPES:
    raise ValueError("iou_type must be one of %s, got %r"
                     % (list(IOU_TYPES), iou_type))
  with _stdout_to_log():
    groundtruth = coco.COCO()
    groundtruth.dataset = groundtruth_dataset
    groundtruth.createIndex()
    results = _results_dataset(groundtruth, detections, iou_type)
    evaluator = cocoeval.COCOeval(groundtruth, results, iouType=iou_type)
    evaluator.evaluate()
    evaluator.accumulate()
    evaluator.summarize()
  metrics = {name: float(value)
             for name, value in zip(METRIC_NAMES, evaluator.stats)}
  if include_metrics_per_category:
    metrics.update(_per_category_metrics(evaluator, all_metrics_per_category))
  return metrics


def _per_category_metrics(evaluator: cocoeval.COCOeval,
                          all_metrics: bool) -> Dict[str, float]:
  """Per-category keys in the TF OD API's naming, in category-id order."""
  metrics = {}
  for index, category_id in enumerate(evaluator.params.catIds):
    name = evaluator.cocoGt.cats[category_id]["name"]
    stats = [_summary_value(evaluator, *spec[1:], category_index=index)
             for spec in _STAT_SPECS]
    metrics["PerformanceByCategory/mAP/%s" % name] = stats[0]
    if all_metrics:
      for metric_name, value in zip(METRIC_NAMES, stats):
        metrics["%s ByCategory/%s" % (metric_name, name)] = value
  return metrics

