"""Tests for object_detection.builders.anchor_generator_builder."""

import contextlib
import io
import math
import re

import numpy as np
import pytest
from google.protobuf import text_format

from tests.conftest import upstream_params
from object_detection.anchor_generators import flexible_grid_anchor_generator
from object_detection.anchor_generators import grid_anchor_generator
from object_detection.anchor_generators import multiple_grid_anchor_generator
from object_detection.anchor_generators import (
    multiscale_grid_anchor_generator)
from object_detection.builders import anchor_generator_builder
from object_detection.protos import anchor_generator_pb2
from object_detection.protos import grid_anchor_generator_pb2


def _parse(text):
  return text_format.Parse(text, anchor_generator_pb2.AnchorGenerator())


def _build(text, **kwargs):
  return anchor_generator_builder.build(_parse(text), **kwargs)


def test_issue_snippet_runs_and_prints_sensible_anchors():
  snippet = """
from object_detection.protos import anchor_generator_pb2
from object_detection.builders import anchor_generator_builder
grid_cfg = anchor_generator_pb2.AnchorGenerator()
grid_cfg.grid_anchor_generator.scales.extend([0.5, 1.0, 2.0])
grid_cfg.grid_anchor_generator.aspect_ratios.extend([0.5, 1.0, 2.0])
grid_cfg.grid_anchor_generator.height = 256
grid_cfg.grid_anchor_generator.width = 256
grid_cfg.grid_anchor_generator.height_stride = 16
grid_cfg.grid_anchor_generator.width_stride = 16
anchor_gen = anchor_generator_builder.build(grid_cfg)
anchors_per_map = anchor_gen.generate([(8, 8), (4, 4)])
print(anchors_per_map[0].num_boxes(), anchors_per_map[0].get().numpy()[:3])
"""
  out = io.StringIO()
  namespace = {}
  with contextlib.redirect_stdout(out):
    exec(snippet, namespace)  # pylint: disable=exec-used
  printed = out.getvalue()
  assert printed.startswith("tf.Tensor(576, shape=(), dtype=int32)")
  numbers = [float(v) for v in re.findall(r"-?\d+\.\d*", printed)]
  # Cell (0, 0), aspect ratio 0.5, scales 0.5, 1, 2: height = s / sqrt(.5)
  # * 256, width = s * sqrt(.5) * 256, centred at 0.
  expected = []
  for scale in (0.5, 1.0, 2.0):
    half_h = 0.5 * scale / math.sqrt(0.5) * 256
    half_w = 0.5 * scale * math.sqrt(0.5) * 256
    expected.extend([-half_h, -half_w, half_h, half_w])
  np.testing.assert_allclose(numbers, expected, rtol=1e-5)
  maps = namespace["anchors_per_map"]
  assert maps[1].num_boxes_static() == 144
  np.testing.assert_array_equal(
      maps[1].get_field("feature_map_index").numpy(), [1] * 144)


def test_grid_from_text_with_defaults():
  gen = _build("grid_anchor_generator { scales: [1.0] aspect_ratios: [1.0] "
               "height_offset: 8 width_offset: 4 }")
  assert isinstance(gen, grid_anchor_generator.GridAnchorGenerator)
  assert gen.num_anchors_per_location() == [1]
  [anchors] = gen.generate([(1, 2)])
  # Default 256 x 256 base, stride 16; offsets (8, 4).
  np.testing.assert_allclose(anchors.get().numpy(), [
      [8 - 128, 4 - 128, 8 + 128, 4 + 128],
      [8 - 128, 20 - 128, 8 + 128, 20 + 128]])


def test_ssd_from_text():
  gen = _build("""
    ssd_anchor_generator {
      num_layers: 6 min_scale: 0.2 max_scale: 0.95
      aspect_ratios: [1.0, 2.0, 0.5, 3.0, 0.3333]
    }""")
  assert isinstance(gen, multiple_grid_anchor_generator.
                    MultipleGridAnchorGenerator)
  assert gen.num_anchors_per_location() == [3, 6, 6, 6, 6, 6]
  shapes = [(19, 19), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)]
  anchors = gen.generate(shapes, im_height=300, im_width=300)
  assert sum(b.num_boxes_static() for b in anchors) == 1917
  # First anchor: (0.1, 1.0) centred at (0.5 / 19, 0.5 / 19).
  c = 0.5 / 19
  np.testing.assert_allclose(anchors[0].get().numpy()[0],
                             [c - .05, c - .05, c + .05, c + .05], rtol=1e-5)


def test_ssd_with_strides_offsets_and_scales():
  gen = _build("""
    ssd_anchor_generator {
      num_layers: 2 scales: [0.25, 0.5] aspect_ratios: [1.0]
      interpolated_scale_aspect_ratio: 0.0
      reduce_boxes_in_lowest_layer: false
      height_stride: [16, 32] width_stride: [16, 32]
      height_offset: [8, 16] width_offset: [8, 16]
    }""")
  first, second = gen.generate([(1, 1), (1, 1)], im_height=64, im_width=64)
  np.testing.assert_allclose(first.get().numpy(),
                             [[0.125 - .125, 0.125 - .125, .25, .25]])
  np.testing.assert_allclose(second.get().numpy(),
                             [[0.25 - .25, 0.25 - .25, .5, .5]])


def test_multiscale_from_text():
  gen = _build("""
    multiscale_anchor_generator {
      min_level: 3 max_level: 7 anchor_scale: 4.0
      aspect_ratios: [1.0, 2.0, 0.5] scales_per_octave: 2
    }""")
  assert isinstance(gen, multiscale_grid_anchor_generator.
                    MultiscaleGridAnchorGenerator)
  assert gen.num_anchors_per_location() == [6] * 5
  with pytest.raises(ValueError, match="needs the image size"):
    gen.generate([(8, 8), (4, 4), (2, 2), (1, 1), (1, 1)])


def test_flexible_from_text():
  gen = _build("""
    flexible_grid_anchor_generator {
      anchor_grid { base_sizes: [8.0, 16.0] aspect_ratios: [1.0, 4.0]
                    height_stride: 16 width_stride: 16
                    height_offset: 8 width_offset: 8 }
      normalize_coordinates: false
    }""")
  assert isinstance(gen, flexible_grid_anchor_generator.
                    FlexibleGridAnchorGenerator)
  [anchors] = gen.generate([(1, 2)])
  np.testing.assert_allclose(anchors.get().numpy(), [
      [4, 4, 12, 12], [4, -8, 12, 24], [4, 20, 12, 28], [4, 8, 12, 40]])


GRID_OK = "scales: [1.0] aspect_ratios: [1.0]"
SSD_OK = "aspect_ratios: [1.0]"
MULTISCALE_OK = "aspect_ratios: [1.0]"
FLEX_GRID_OK = ("base_sizes: [8.0] aspect_ratios: [1.0] height_stride: 8 "
                "width_stride: 8")


@pytest.mark.parametrize("text, message", [
    ("grid_anchor_generator { aspect_ratios: [1.0] }",
     "anchor_generator.grid_anchor_generator.scales: must not be empty"),
    ("grid_anchor_generator { scales: [1.0] }",
     "anchor_generator.grid_anchor_generator.aspect_ratios: must not be "
     "empty"),
    ("grid_anchor_generator { scales: [1.0] aspect_ratios: [1.0, -0.5] }",
     "anchor_generator.grid_anchor_generator.aspect_ratios: every value must "
     "be > 0, got [1.0, -0.5]"),
    ("grid_anchor_generator { scales: [0.0] aspect_ratios: [1.0] }",
     "anchor_generator.grid_anchor_generator.scales: every value must be > "
     "0, got [0.0]"),
    ("grid_anchor_generator { %s height: 0 }" % GRID_OK,
     "anchor_generator.grid_anchor_generator.height: must be > 0, got 0"),
    ("grid_anchor_generator { %s width: -4 }" % GRID_OK,
     "anchor_generator.grid_anchor_generator.width: must be > 0, got -4"),
    ("grid_anchor_generator { %s height_stride: 0 }" % GRID_OK,
     "anchor_generator.grid_anchor_generator.height_stride: must be > 0, got "
     "0"),
    ("grid_anchor_generator { %s width_stride: -16 }" % GRID_OK,
     "anchor_generator.grid_anchor_generator.width_stride: must be > 0, got "
     "-16"),
    ("ssd_anchor_generator { %s num_layers: 0 }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.num_layers: must be >= 1, got 0"),
    ("ssd_anchor_generator { }",
     "anchor_generator.ssd_anchor_generator.aspect_ratios: must not be "
     "empty"),
    ("ssd_anchor_generator { %s min_scale: 0.0 }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.min_scale: must be > 0, got 0.0"),
    ("ssd_anchor_generator { %s max_scale: -1.0 }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.max_scale: must be > 0, got "
     "-1.0"),
    ("ssd_anchor_generator { %s num_layers: 2 scales: [0.5] }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.scales: must have num_layers (2) "
     "values when set, got 1"),
    ("ssd_anchor_generator { %s num_layers: 2 scales: [0.5, 0.0] }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.scales: every value must be > 0, "
     "got [0.5, 0.0]"),
    ("ssd_anchor_generator { %s interpolated_scale_aspect_ratio: -1 }"
     % SSD_OK,
     "anchor_generator.ssd_anchor_generator.interpolated_scale_aspect_ratio: "
     "must be >= 0 (0 leaves the interpolated anchor out), got -1.0"),
    ("ssd_anchor_generator { %s base_anchor_height: 0 }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.base_anchor_height: must be > 0, "
     "got 0.0"),
    ("ssd_anchor_generator { %s base_anchor_width: -1 }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.base_anchor_width: must be > 0, "
     "got -1.0"),
    ("ssd_anchor_generator { %s num_layers: 2 height_stride: [8, 16] "
     "width_stride: [8] }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.width_stride: must have "
     "num_layers (2) values when set, got 1"),
    ("ssd_anchor_generator { %s num_layers: 2 width_stride: [8, 16] }"
     % SSD_OK,
     "anchor_generator.ssd_anchor_generator.height_stride: must have "
     "num_layers (2) values when set, got 0"),
    ("ssd_anchor_generator { %s num_layers: 2 height_stride: [8, 0] "
     "width_stride: [8, 16] }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.height_stride: every value must "
     "be > 0, got [8.0, 0.0]"),
    ("ssd_anchor_generator { %s num_layers: 2 height_offset: [4, 8, 16] "
     "width_offset: [4, 8] }" % SSD_OK,
     "anchor_generator.ssd_anchor_generator.height_offset: must have "
     "num_layers (2) values when set, got 3"),
    ("ssd_anchor_generator { %s num_layers: 2 height_offset: [4, 8] }"
     % SSD_OK,
     "anchor_generator.ssd_anchor_generator.width_offset: must have "
     "num_layers (2) values when set, got 0"),
    ("multiscale_anchor_generator { %s min_level: 5 max_level: 4 }"
     % MULTISCALE_OK,
     "anchor_generator.multiscale_anchor_generator.min_level: must be <= "
     "max_level (4), got 5"),
    ("multiscale_anchor_generator { %s scales_per_octave: 0 }"
     % MULTISCALE_OK,
     "anchor_generator.multiscale_anchor_generator.scales_per_octave: must "
     "be >= 1, got 0"),
    ("multiscale_anchor_generator { %s anchor_scale: 0 }" % MULTISCALE_OK,
     "anchor_generator.multiscale_anchor_generator.anchor_scale: must be > "
     "0, got 0.0"),
    ("multiscale_anchor_generator { }",
     "anchor_generator.multiscale_anchor_generator.aspect_ratios: must not "
     "be empty"),
    ("multiscale_anchor_generator { aspect_ratios: [2.0, 0.0] }",
     "anchor_generator.multiscale_anchor_generator.aspect_ratios: every "
     "value must be > 0, got [2.0, 0.0]"),
    ("flexible_grid_anchor_generator { }",
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid: must not "
     "be empty"),
    ("flexible_grid_anchor_generator { anchor_grid { %s } anchor_grid { "
     "base_sizes: [8.0, 16.0] aspect_ratios: [1.0] height_stride: 8 "
     "width_stride: 8 } }" % FLEX_GRID_OK,
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid[1]"
     ".aspect_ratios: must have as many values as base_sizes (2), got 1; "
     "each anchor is one (base_size, aspect_ratio) pair"),
    ("flexible_grid_anchor_generator { anchor_grid { aspect_ratios: [1.0] "
     "height_stride: 8 width_stride: 8 } }",
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid[0]"
     ".base_sizes: must not be empty"),
    ("flexible_grid_anchor_generator { anchor_grid { base_sizes: [-8.0] "
     "aspect_ratios: [1.0] height_stride: 8 width_stride: 8 } }",
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid[0]"
     ".base_sizes: every value must be > 0, got [-8.0]"),
    ("flexible_grid_anchor_generator { anchor_grid { base_sizes: [8.0] "
     "height_stride: 8 width_stride: 8 } }",
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid[0]"
     ".aspect_ratios: must not be empty"),
    ("flexible_grid_anchor_generator { anchor_grid { base_sizes: [8.0] "
     "aspect_ratios: [1.0] width_stride: 8 } }",
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid[0]"
     ".height_stride: must be > 0, got 0"),
    ("flexible_grid_anchor_generator { anchor_grid { base_sizes: [8.0] "
     "aspect_ratios: [1.0] height_stride: 8 } }",
     "anchor_generator.flexible_grid_anchor_generator.anchor_grid[0]"
     ".width_stride: must be > 0, got 0"),
    ("",
     "anchor_generator: no anchor generator set; set one of "
     "grid_anchor_generator, ssd_anchor_generator, "
     "multiscale_anchor_generator, flexible_grid_anchor_generator"),
])
def test_build_errors_name_the_field(text, message):
  with pytest.raises(ValueError) as error:
    _build(text)
  assert str(error.value) == message


def test_caller_path_prefixes_messages():
  with pytest.raises(ValueError) as error:
    _build("grid_anchor_generator { scales: [1.0] aspect_ratios: [1.0, -0.5] "
           "}", path="model.faster_rcnn.first_stage_anchor_generator")
  assert str(error.value) == (
      "model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"
      ".aspect_ratios: every value must be > 0, got [1.0, -0.5]")


def test_wrong_message_type():
  with pytest.raises(TypeError) as error:
    anchor_generator_builder.build(
        grid_anchor_generator_pb2.GridAnchorGenerator())
  assert str(error.value) == (
      "anchor_generator: expected an anchor_generator_pb2.AnchorGenerator "
      "message, got GridAnchorGenerator")


def test_generate_time_errors_say_expected_and_got():
  gen = _build("""
    ssd_anchor_generator { num_layers: 2 aspect_ratios: [1.0] }""")
  with pytest.raises(ValueError) as error:
    gen.generate([(2, 2)])
  assert str(error.value) == (
      "MultipleGridAnchorGenerator: expected 2 feature map shape(s), one per "
      "entry of num_anchors_per_location() = [3, 2], got 1: [(2, 2)]")
  flex = _build("flexible_grid_anchor_generator { anchor_grid { %s } }"
                % FLEX_GRID_OK)
  with pytest.raises(ValueError, match="expected im_height and im_width"):
    flex.generate([(2, 2)])


def _anchor_generators_of(pipeline):
  model = pipeline.model
  which = model.WhichOneof("model")
  if which == "faster_rcnn":
    return [("model.faster_rcnn.first_stage_anchor_generator",
             model.faster_rcnn.first_stage_anchor_generator)]
  if which == "ssd":
    return [("model.ssd.anchor_generator", model.ssd.anchor_generator)]
  return []


@pytest.mark.parametrize("config_path", upstream_params("*/*.config"))
def test_upstream_sample_configs_build(config_path):
  pipeline_pb2 = pytest.importorskip("object_detection.protos.pipeline_pb2")
  with open(config_path) as f:
    pipeline = text_format.Parse(f.read(),
                                 pipeline_pb2.TrainEvalPipelineConfig())
  for path, config in _anchor_generators_of(pipeline):
    if config.WhichOneof("anchor_generator_oneof") is None:
      continue
    gen = anchor_generator_builder.build(config, path=path)
    assert all(n > 0 for n in gen.num_anchors_per_location())
