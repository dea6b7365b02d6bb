"""COCO box and mask evaluators with the TF OD API's interface and metric names.

Use: build an evaluator from categories, add the groundtruth of each image,
then its detections, call `evaluate()` for a dict of floats, `clear()` to
start over.

    evaluator = CocoDetectionEvaluator([{"id": 1, "name": "cat"}])
    evaluator.add_single_ground_truth_image_info("img1", {
        InputDataFields.groundtruth_boxes: np.array([[0., 0., 10., 10.]]),
        InputDataFields.groundtruth_classes: np.array([1])})
    evaluator.add_single_detected_image_info("img1", {
        DetectionResultFields.detection_boxes: np.array([[0., 0., 10., 10.]]),
        DetectionResultFields.detection_scores: np.array([0.9]),
        DetectionResultFields.detection_classes: np.array([1])})
    evaluator.evaluate()["DetectionBoxes_Precision/mAP"]  # 1.0 up to 1e-15

Conventions:
  * Boxes are absolute pixel [ymin, xmin, ymax, xmax] (not normalised): the
    small / medium / large split is by area in pixels (32^2 and 96^2).
  * Classes are 1-based category ids; objects and detections whose class is
    not a known category are dropped, as in the TF OD API.
  * Masks are [num_instances, height, width] arrays of 0/1 (uint8 or bool)
    at image resolution.
  * Inputs may be numpy arrays or eager tensors (anything np.asarray takes).
  * Image ids may be any hashable (int, str, bytes); they are mapped to
    internal integer COCO ids.

Unlike the TF OD API (which logs a warning and ignores the repeat), adding an
image's groundtruth or detections twice is a ValueError.
"""

from typing import Any, Dict, Hashable, List, Mapping, Optional, Sequence

import numpy as np

from object_detection.core import standard_fields
from object_detection.metrics import coco_tools

InputDataFields = standard_fields.InputDataFields
DetectionResultFields = standard_fields.DetectionResultFields


def _array(values: Any, where: str, key: str, rank: int,
           last_dims: Sequence[int] = ()) -> np.ndarray:
  """np.asarray(values) after checking its rank and trailing dimensions."""
  array = np.asarray(values)
  if array.ndim != rank or (last_dims and
                            tuple(array.shape[rank - len(last_dims):])
                            != tuple(last_dims)):
    expected = "[%s]" % ", ".join(
        ["N"] * (rank - len(last_dims)) + [str(d) for d in last_dims])
    raise ValueError("%s: %s must have rank %d and shape %s, got shape %s"
                     % (where, key, rank, expected, array.shape))
  return array


def _require(fields: Mapping[str, Any], key: str, where: str) -> Any:
  if key not in fields or fields[key] is None:
    raise ValueError("%s: missing required key %r; keys given: %s"
                     % (where, key, sorted(fields)))
  return fields[key]


def _check_lengths(where: str, arrays: Mapping[str, np.ndarray]) -> None:
  """Raises ValueError unless all arrays agree on their first dimension."""
  lengths = {key: array.shape[0] for key, array in arrays.items()}
  if len(set(lengths.values())) > 1:
    raise ValueError("%s: first dimensions must agree (one entry per object), "
                     "got %s" % (where, lengths))


def _check_binary_masks(masks: np.ndarray, where: str, key: str) -> np.ndarray:
  """uint8 copy of `masks` after checking every value is 0 or 1."""
  if masks.size and not np.all((masks == 0) | (masks == 1)):
    raise ValueError("%s: %s must hold only 0 and 1, got values %s"
                     % (where, key, np.unique(masks)[:10].tolist()))
  return masks.astype(np.uint8)


def _check_categories(categories: Sequence[Mapping[str, Any]]
                      ) -> List[Dict[str, Any]]:
  """Validated {'id': int, 'name': str} copies of the categories."""
  checked = []
  seen = set()
  for index, category in enumerate(categories):
    if "id" not in category or "name" not in category:
      raise ValueError("categories[%d] must have keys 'id' and 'name', got %r"
                       % (index, category))
    category_id = int(category["id"])
    if category_id in seen:
      raise ValueError("categories[%d]: id %d is used twice"
                       % (index, category_id))
    seen.add(category_id)
    checked.append({"id": category_id, "name": str(category["name"])})
  if not checked:
    raise ValueError("categories must not be empty")
  return checked


class _CocoEvaluator:
  """State and bookkeeping shared by the box and mask evaluators."""

  _IOU_TYPE = ""
  _PREFIX = ""

  def __init__(self, categories: Sequence[Mapping[str, Any]],
               include_metrics_per_category: bool = False,
               all_metrics_per_category: bool = False) -> None:
    self._categories = _check_categories(categories)
    self._category_ids = [c["id"] for c in self._categories]
    self._include_metrics_per_category = include_metrics_per_category
    self._all_metrics_per_category = all_metrics_per_category
    self.clear()

  @property
  def categories(self) -> List[Dict[str, Any]]:
    """The {'id', 'name'} dicts the evaluator was built with."""
    return [dict(c) for c in self._categories]

  def clear(self) -> None:
    """Forgets every image added so far."""
    self._coco_ids = {}  # user image id -> internal COCO image id
    self._images = []
    self._groundtruth = []
    self._detections = []
    self._images_with_detections = set()
    self._next_annotation_id = 1

  def _where(self, method: str, image_id: Hashable) -> str:
    return "%s.%s(image_id=%r)" % (type(self).__name__, method, image_id)

  def _add_image(self, image_id: Hashable, where: str,
                 height: Optional[int] = None,
                 width: Optional[int] = None) -> int:
    if image_id in self._coco_ids:
      raise ValueError("%s: groundtruth for this image id was already added; "
                       "image ids must be unique (call clear() to start a new "
                       "evaluation)" % where)
    coco_id = len(self._coco_ids) + 1
    self._coco_ids[image_id] = coco_id
    image = {"id": coco_id}
    if height is not None:
      image.update(height=int(height), width=int(width))
    self._images.append(image)
    return coco_id

  def _coco_id_for_detections(self, image_id: Hashable, where: str) -> int:
    if image_id not in self._coco_ids:
      raise ValueError("%s: no groundtruth was added for this image id; add "
                       "it with add_single_ground_truth_image_info first"
                       % where)
    if image_id in self._images_with_detections:
      raise ValueError("%s: detections for this image id were already added"
                       % where)
    return self._coco_ids[image_id]

  def _groundtruth_common(self, groundtruth_dict: Mapping[str, Any],
                          where: str) -> Dict[str, np.ndarray]:
    """Validated boxes, classes and optional is_crowd / area arrays."""
    fields = InputDataFields
    arrays = {
        fields.groundtruth_boxes: _array(
            _require(groundtruth_dict, fields.groundtruth_boxes, where),
            where, fields.groundtruth_boxes, 2, [4]).astype(np.float64),
        fields.groundtruth_classes: _array(
            _require(groundtruth_dict, fields.groundtruth_classes, where),
            where, fields.groundtruth_classes, 1),
    }
    for key in (fields.groundtruth_is_crowd, fields.groundtruth_area):
      value = groundtruth_dict.get(key)
      # An empty optional field means "not given", as in the TF OD API.
      if value is not None and np.asarray(value).size:
        arrays[key] = _array(value, where, key, 1)
    _check_lengths(where, arrays)
    return arrays

  def _extend_groundtruth(self, coco_id: int, arrays: Dict[str, np.ndarray],
                          masks: Optional[np.ndarray] = None) -> None:
    fields = InputDataFields
    boxes = arrays[fields.groundtruth_boxes]
    self._groundtruth.extend(coco_tools.groundtruth_annotations(
        coco_id, self._next_annotation_id, self._category_ids, boxes,
        arrays[fields.groundtruth_classes],
        is_crowd=arrays.get(fields.groundtruth_is_crowd),
        area=arrays.get(fields.groundtruth_area), masks=masks))
    self._next_annotation_id += boxes.shape[0]

  def _detections_common(self, detections_dict: Mapping[str, Any],
                         where: str) -> Dict[str, np.ndarray]:
    fields = DetectionResultFields
    return {key: _array(_require(detections_dict, key, where), where, key, 1)
            for key in (fields.detection_scores, fields.detection_classes)}

  def evaluate(self) -> Dict[str, float]:
    """Computes the COCO metrics over every image added since clear().

    Returns:
      dict of python floats: the 12 COCO summary metrics under the TF OD
      API's names with this evaluator's prefix (e.g.
      'DetectionBoxes_Precision/mAP', 'DetectionBoxes_Recall/AR@100 (small)'),
      plus '<prefix>PerformanceByCategory/mAP/<name>' per category when
      include_metrics_per_category, plus '<prefix><metric> ByCategory/<name>'
      for all 12 metrics when all_metrics_per_category too. A metric without
      groundtruth of its kind (e.g. no large objects) is -1.0, as in COCO.

    Raises:
      ValueError: if no groundtruth was added.
    """
    if not self._images:
      raise ValueError("%s.evaluate: no groundtruth was added; call "
                       "add_single_ground_truth_image_info first"
                       % type(self).__name__)
    dataset = {"images": list(self._images),
               "categories": self.categories,
               "annotations": list(self._groundtruth)}
    metrics = coco_tools.evaluate(
        dataset, list(self._detections), self._IOU_TYPE,
        include_metrics_per_category=self._include_metrics_per_category,
        all_metrics_per_category=self._all_metrics_per_category)
    return {self._PREFIX + name: value for name, value in metrics.items()}


class CocoDetectionEvaluator(_CocoEvaluator):
  """COCO box metrics ('DetectionBoxes_...') through pycocotools.

  Args:
    categories: list of dicts {'id': int, 'name': str}, ids unique (as from
      label_map_util.create_categories_from_labelmap).
    include_metrics_per_category: add 'DetectionBoxes_PerformanceByCategory/
      mAP/<name>' for each category.
    all_metrics_per_category: with include_metrics_per_category, also add
      every summary metric per category ('DetectionBoxes_Precision/mAP
      ByCategory/<name>', ...).

  Raises:
    ValueError: if categories is empty, lacks 'id'/'name' or repeats an id.
  """

  _IOU_TYPE = "bbox"
  _PREFIX = "DetectionBoxes_"

  def add_single_ground_truth_image_info(
      self, image_id: Hashable, groundtruth_dict: Mapping[str, Any]) -> None:
    """Adds the groundtruth of one image.

    Args:
      image_id: unique hashable id of the image.
      groundtruth_dict: dict with
        InputDataFields.groundtruth_boxes: float [num_boxes, 4] absolute
          [ymin, xmin, ymax, xmax].
        InputDataFields.groundtruth_classes: int [num_boxes] 1-based ids.
        InputDataFields.groundtruth_is_crowd (optional): bool/int
          [num_boxes]; crowd regions neither need a detection nor make one
          that overlaps them a false positive.
        InputDataFields.groundtruth_area (optional): float [num_boxes] areas
          in pixels used for the size split (default: box areas).

    Raises:
      ValueError: on a repeated image_id, a missing key or bad shapes.
    """
    where = self._where("add_single_ground_truth_image_info", image_id)
    arrays = self._groundtruth_common(groundtruth_dict, where)
    coco_id = self._add_image(image_id, where)
    self._extend_groundtruth(coco_id, arrays)

  def add_single_detected_image_info(
      self, image_id: Hashable, detections_dict: Mapping[str, Any]) -> None:
    """Adds the detections of one image (after its groundtruth).

    Args:
      image_id: id given to add_single_ground_truth_image_info.
      detections_dict: dict with
        DetectionResultFields.detection_boxes: float [num_detections, 4]
          absolute [ymin, xmin, ymax, xmax].
        DetectionResultFields.detection_scores: float [num_detections].
        DetectionResultFields.detection_classes: int (or integral float)
          [num_detections] 1-based ids.

    Raises:
      ValueError: if the image has no groundtruth or already has detections,
        on a missing key or bad shapes.
    """
    where = self._where("add_single_detected_image_info", image_id)
    arrays = self._detections_common(detections_dict, where)
    key = DetectionResultFields.detection_boxes
    arrays[key] = _array(_require(detections_dict, key, where), where, key, 2,
                         [4])
    _check_lengths(where, arrays)
    coco_id = self._coco_id_for_detections(image_id, where)
    self._detections.extend(coco_tools.detection_annotations(
        coco_id, self._category_ids,
        arrays[DetectionResultFields.detection_scores],
        arrays[DetectionResultFields.detection_classes], boxes=arrays[key]))
    self._images_with_detections.add(image_id)


class CocoMaskEvaluator(_CocoEvaluator):
  """COCO instance-mask metrics ('DetectionMasks_...') through pycocotools.

  Same constructor as CocoDetectionEvaluator. Groundtruth needs boxes (used
  for the default areas) and masks; detections need masks, scores and
  classes (boxes are not used).
  """

  _IOU_TYPE = "segm"
  _PREFIX = "DetectionMasks_"

  def clear(self) -> None:
    """Forgets every image added so far."""
    super().clear()
    self._mask_shapes = {}  # user image id -> (height, width)

  def add_single_ground_truth_image_info(
      self, image_id: Hashable, groundtruth_dict: Mapping[str, Any]) -> None:
    """Adds the groundtruth of one image.

    Args:
      image_id: unique hashable id of the image.
      groundtruth_dict: the keys of CocoDetectionEvaluator's, plus
        InputDataFields.groundtruth_instance_masks: 0/1 uint8 or bool
          [num_boxes, height, width] masks at image resolution.

    Raises:
      ValueError: on a repeated image_id, a missing key, bad shapes or mask
        values other than 0 and 1.
    """
    where = self._where("add_single_ground_truth_image_info", image_id)
    arrays = self._groundtruth_common(groundtruth_dict, where)
    key = InputDataFields.groundtruth_instance_masks
    masks = _array(_require(groundtruth_dict, key, where), where, key, 3)
    _check_lengths(where, dict(arrays, **{key: masks}))
    masks = _check_binary_masks(masks, where, key)
    height, width = masks.shape[1:]
    coco_id = self._add_image(image_id, where, height, width)
    self._mask_shapes[image_id] = (height, width)
    self._extend_groundtruth(coco_id, arrays, masks=masks)

  def add_single_detected_image_info(
      self, image_id: Hashable, detections_dict: Mapping[str, Any]) -> None:
    """Adds the detections of one image (after its groundtruth).

    Args:
      image_id: id given to add_single_ground_truth_image_info.
      detections_dict: dict with
        DetectionResultFields.detection_masks: 0/1 uint8 or bool
          [num_detections, height, width], the groundtruth masks' size.
        DetectionResultFields.detection_scores: float [num_detections].
        DetectionResultFields.detection_classes: int [num_detections].

    Raises:
      ValueError: if the image has no groundtruth or already has detections,
        on a missing key, bad shapes, a mask size other than the
        groundtruth's, or mask values other than 0 and 1.
    """
    where = self._where("add_single_detected_image_info", image_id)
    arrays = self._detections_common(detections_dict, where)
    key = DetectionResultFields.detection_masks
    masks = _array(_require(detections_dict, key, where), where, key, 3)
    _check_lengths(where, dict(arrays, **{key: masks}))
    coco_id = self._coco_id_for_detections(image_id, where)
    expected = self._mask_shapes[image_id]
    if tuple(masks.shape[1:]) != expected:
      raise ValueError("%s: %s are %dx%d but the groundtruth masks are %dx%d"
                       % ((where, key) + tuple(masks.shape[1:]) + expected))
    masks = _check_binary_masks(masks, where, key)
    self._detections.extend(coco_tools.detection_annotations(
        coco_id, self._category_ids,
        arrays[DetectionResultFields.detection_scores],
        arrays[DetectionResultFields.detection_classes], masks=masks))
    self._images_with_detections.add(image_id)
