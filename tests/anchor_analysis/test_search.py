"""Tests for object_detection/anchor_analysis/search.py: the search of each
generator type on boxes its config covers badly, scored on the generator's
real anchors, and its od-config set arguments."""

import numpy as np
import pytest
from google.protobuf import text_format

from object_detection.anchor_analysis import coverage
from object_detection.anchor_analysis import search
from object_detection.builders import anchor_generator_builder
from object_detection.protos import anchor_generator_pb2
from object_detection.protos import pipeline_pb2
from object_detection.utils import config_util

SIZE = 64
PREFIX = "model.faster_rcnn.first_stage_anchor_generator"
GENERATORS = {
    "multiscale": ("multiscale_anchor_generator { min_level: 3 max_level: 4 "
                   "anchor_scale: 4.0 aspect_ratios: [1.0, 2.0, 0.5] "
                   "scales_per_octave: 1 }", [(8, 8), (4, 4)]),
    "grid": ("grid_anchor_generator { scales: [1.0, 2.0] aspect_ratios: "
             "[1.0] height: 32 width: 32 height_stride: 8 width_stride: 8 }",
             [(8, 8)]),
    "ssd": ("ssd_anchor_generator { num_layers: 2 min_scale: 0.5 "
            "max_scale: 0.9 aspect_ratios: [1.0] }", [(8, 8), (4, 4)]),
    "flexible": ("flexible_grid_anchor_generator { anchor_grid { "
                 "base_sizes: [40.0] aspect_ratios: [1.0] height_stride: 8 "
                 "width_stride: 8 } normalize_coordinates: false }",
                 [(8, 8)]),
}


def _anchors(config, maps):
  generator = anchor_generator_builder.build(config)
  if config.WhichOneof("anchor_generator_oneof") == "multiscale_anchor_generator":
    message = config.multiscale_anchor_generator
    # The feature maps of the candidate's levels (stride 2**level).
    maps = [(SIZE // 2 ** l, SIZE // 2 ** l)
            for l in range(message.min_level, message.max_level + 1)]
    lists = generator.generate([list(m) for m in maps], im_height=SIZE,
                               im_width=SIZE)
  else:
    lists = generator.generate([list(m) for m in maps])
  anchors = np.concatenate([b.get().numpy() for b in lists])
  if anchors.max() <= 1.5:  # normalised (ssd)
    anchors = anchors * SIZE
  return anchors


@pytest.fixture(scope="module")
def boxes():
  """Tall boxes of two sizes, 6 and 12 px wide, on an 8 px grid."""
  found = []
  for i in range(1, 7):
    for j in range(1, 7):
      width = 6.0 if (i + j) % 2 else 12.0
      cy, cx = 8 * i + 4, 8 * j + 4
      found.append([cy - width, cx - width / 2, cy + width, cx + width / 2])
  return np.array(found, np.float32)


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_search_raises_coverage_within_the_budget(kind, boxes):
  text, maps = GENERATORS[kind]
  config = text_format.Parse(text, anchor_generator_pb2.AnchorGenerator())

  def score(candidate):
    anchors = _anchors(candidate, maps)
    best, _ = coverage.best_iou(boxes, anchors)
    return float(np.mean(best >= 0.7)), float(np.mean(best)), len(anchors)

  before = score(config)
  shapes = np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]],
                    axis=1)
  suggestion = search.search(config, shapes, score, budget=before[2],
                             search_levels=kind == "multiscale")
  assert suggestion is not None, kind
  assert suggestion.before == before
  assert suggestion.after[2] <= before[2]
  assert (suggestion.after[0], suggestion.after[1]) > before[:2]
  assert score(suggestion.config) == suggestion.after
  # Its od-config set arguments make the same generator in a pipeline.
  pipeline = pipeline_pb2.TrainEvalPipelineConfig()
  pipeline.model.faster_rcnn.first_stage_anchor_generator.CopyFrom(config)
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  arguments = search.set_arguments(config, suggestion.change, PREFIX)
  config_util.merge_external_params_with_configs(
      configs, kwargs_dict=config_util.parse_override_assignments(arguments))
  assert (configs["model"].faster_rcnn.first_stage_anchor_generator ==
          suggestion.config), arguments
  if "levels" in suggestion.change:
    fpn = configs["model"].faster_rcnn.feature_extractor.fpn
    assert (fpn.min_level, fpn.max_level) == suggestion.change["levels"]


def test_nothing_to_suggest_when_the_anchors_are_the_boxes():
  config = text_format.Parse(GENERATORS["grid"][0],
                             anchor_generator_pb2.AnchorGenerator())
  anchors = _anchors(config, GENERATORS["grid"][1])

  def score(candidate):
    best, _ = coverage.best_iou(anchors, _anchors(candidate,
                                                  GENERATORS["grid"][1]))
    return float(np.mean(best >= 0.7)), float(np.mean(best)), 128

  shapes = np.stack([anchors[:, 2] - anchors[:, 0],
                     anchors[:, 3] - anchors[:, 1]], axis=1)
  assert search.search(config, shapes, score, budget=128) is None
