"""How well a config's anchors cover its data, and a better generator.

    result = analysis.analyse(configs, max_examples=500)
    result.coverage.overall.at_threshold   # share of boxes with IoU >= 0.7
    result.suggestion                      # search.Suggestion or None
"""

import dataclasses
from typing import Dict, List, Optional

import numpy as np

from object_detection.anchor_analysis import coverage as coverage_lib
from object_detection.anchor_analysis import data
from object_detection.anchor_analysis import search as search_lib


@dataclasses.dataclass
class Analysis:
  """The analysis of one config on its data."""
  truth: data.GroundTruth
  threshold: float
  input_shape: data.Shape  # the most common padded input (height, width)
  anchors: data.AnchorSet  # of that input shape
  best: np.ndarray  # float32 [N] best IoU of each box
  coverage: coverage_lib.Coverage
  worst: List[Dict]
  suggestion: Optional[search_lib.Suggestion] = None
  suggested_anchors: Optional[data.AnchorSet] = None
  suggested_best: Optional[np.ndarray] = None
  suggested_coverage: Optional[coverage_lib.Coverage] = None
  set_arguments: Optional[List[str]] = None

  @property
  def anchors_per_image(self) -> int:
    return self.anchors.total


class _Evaluator:
  """Best IoUs of boxes under a generator config, per input shape."""

  def __init__(self, configs, truth: data.GroundTruth, clip: bool):
    self._configs = configs
    self._truth = truth
    self._clip = clip
    self._levels = self._levels_of(
        configs["model"].faster_rcnn.first_stage_anchor_generator)
    # (min_level, max_level) -> input shape -> feature-map shapes.
    self._feature_maps = {self._levels: data.feature_map_shapes(
        configs, truth.input_shapes)}
    shapes = [truth.input_shapes[i] for i in truth.image_index]
    self._box_shapes = shapes
    counts = {}
    for shape in truth.input_shapes:
      counts[shape] = counts.get(shape, 0) + 1
    self.common_shape = max(sorted(counts), key=counts.get)

  @staticmethod
  def _levels_of(anchor_config):
    if anchor_config.HasField("multiscale_anchor_generator"):
      message = anchor_config.multiscale_anchor_generator
      return (message.min_level, message.max_level)
    return None

  def _maps(self, anchor_config):
    """Feature maps by input shape, for the generator's levels.

    Other levels than the config's need the extractor built with them
    (ValueError where it cannot be).
    """
    levels = self._levels_of(anchor_config)
    if levels not in self._feature_maps:
      self._feature_maps[levels] = data.feature_map_shapes(
          data.with_levels(self._configs, *levels),
          self._truth.input_shapes)
    return self._feature_maps[levels]

  def anchor_sets(self, anchor_config) -> Dict[data.Shape, data.AnchorSet]:
    return {shape: data.anchors_of(anchor_config, self._clip, maps, shape)
            for shape, maps in self._maps(anchor_config).items()}

  def best(self, anchor_config, subset: Optional[np.ndarray] = None):
    """(best IoU [N or subset], AnchorSet of the common shape)."""
    indices = (np.arange(len(self._truth.boxes)) if subset is None
               else subset)
    sets = self.anchor_sets(anchor_config)
    best = np.zeros([len(indices)], np.float32)
    shapes = [self._box_shapes[i] for i in indices]
    for shape, anchor_set in sets.items():
      mine = np.array([s == shape for s in shapes], bool)
      if mine.any():
        best[mine] = coverage_lib.best_iou(
            self._truth.boxes[indices[mine]], anchor_set.anchors)[0]
    return best, sets[self.common_shape]


def _worst(truth: data.GroundTruth, best: np.ndarray, threshold: float,
           limit: int = 10) -> List[Dict]:
  found = []
  for i in coverage_lib.worst(best, threshold, limit):
    found.append({"source_id": truth.source_ids[truth.image_index[i]],
                  "class": int(truth.classes[i]),
                  "box": [round(float(v), 1) for v in truth.boxes[i]],
                  "best_iou": round(float(best[i]), 4)})
  return found


def analyse(configs, input_path: Optional[str] = None,
            max_examples: Optional[int] = None,
            max_anchor_increase: float = 0.0, search_boxes: int = 2000,
            suggest: bool = True) -> Analysis:
  """Reads the data, measures the coverage and searches a better config.

  Args:
    configs: the configs dict of the pipeline.
    input_path: records to read instead of the train input's (globs,
      comma-separated).
    max_examples: read at most this many examples.
    max_anchor_increase: the suggestion may have this fraction more anchors
      per image than the config (0: no more).
    search_boxes: the search scores candidates on at most this many boxes
      (an even sample; the reported figures use every box).
    suggest: search for a better generator.

  Raises:
    ValueError: a model without a first-stage anchor generator, bad or
      empty data (named).
  """
  faster_rcnn = data.faster_rcnn_config(configs)
  anchor_config = faster_rcnn.first_stage_anchor_generator
  truth = data.read_ground_truth(configs, input_path, max_examples)
  evaluator = _Evaluator(configs, truth, faster_rcnn.clip_anchors_to_image)
  threshold = data.FIRST_STAGE_MATCHED_THRESHOLD
  best, anchor_set = evaluator.best(anchor_config)
  result = Analysis(
      truth, threshold, evaluator.common_shape, anchor_set, best,
      coverage_lib.coverage(best, truth.boxes, truth.classes, threshold),
      _worst(truth, best, threshold))
  if not suggest:
    return result
  count = len(truth.boxes)
  subset = (np.arange(count) if count <= search_boxes else
            np.linspace(0, count - 1, search_boxes).astype(np.int64))

  def score(config):
    values, common = evaluator.best(config, subset)
    return (float(np.mean(values >= threshold)), float(np.mean(values)),
            common.total)

  shapes = np.stack([truth.boxes[subset, 2] - truth.boxes[subset, 0],
                     truth.boxes[subset, 3] - truth.boxes[subset, 1]], 1)
  budget = int(result.anchors_per_image * (1.0 + max_anchor_increase))
  suggestion = search_lib.search(
      anchor_config, np.maximum(shapes, 1.0), score, budget,
      search_levels=faster_rcnn.feature_extractor.HasField("fpn"))
  if suggestion is None:
    return result
  suggested_best, suggested_set = evaluator.best(suggestion.config)
  result.suggestion = suggestion
  result.suggested_anchors = suggested_set
  result.suggested_best = suggested_best
  result.suggested_coverage = coverage_lib.coverage(
      suggested_best, truth.boxes, truth.classes, threshold)
  result.set_arguments = search_lib.set_arguments(
      anchor_config, suggestion.change, data.ANCHOR_PATH)
  return result
