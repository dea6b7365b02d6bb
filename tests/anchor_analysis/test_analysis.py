"""Tests for anchor analysis on records the tests write: the shipped shapes
config at 64x64, boxes placed on its anchors, and boxes far smaller than
its smallest anchor (fixed by the suggestion, applied with od-config set).
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from object_detection.anchor_analysis import analysis
from object_detection.anchor_analysis import data
from object_detection.data import shapes_dataset
from object_detection.data import tf_example_writer
from object_detection.utils import config_util
from tests.conftest import REPO_ROOT

SIZE = 64


def _write_records(path, boxes_per_image):
  """One blank SIZE x SIZE image per list of absolute boxes (class 1)."""
  image = np.full([SIZE, SIZE, 3], 90, np.uint8)
  examples = [tf_example_writer.encode_detection_example(
      image, np.asarray(boxes, np.float32).reshape(-1, 4),
      np.ones([len(boxes)], np.int64), shapes_dataset.CLASS_NAMES,
      "img%d" % i) for i, boxes in enumerate(boxes_per_image)]
  return tf_example_writer.write_tfrecord_shards(examples, path, 1)[0]


def _config(directory, records, name="tiny.config"):
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"))
  config_util.merge_external_params_with_configs(configs, kwargs_dict={
      "train_input_path": records,
      "label_map_path": os.path.join(REPO_ROOT, "pipelines",
                                     "shapes_label_map.pbtxt"),
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": SIZE,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": SIZE,
  })
  path = config_util.save_pipeline_config(configs,
                                          os.path.join(directory, name))
  return path, configs


@pytest.fixture(scope="module")
def small_boxes(tmp_path_factory):
  """A config and records of 4x4 boxes on the stride-4 grid (its smallest
  anchors are 16x16)."""
  directory = str(tmp_path_factory.mktemp("small"))
  boxes = [[[4 * i, 4 * j, 4 * i + 4, 4 * j + 4] for i, j in
            ((1, 2), (5, 9), (12, 3))], [[20, 24, 24, 28], [40, 8, 44, 12]]]
  records = _write_records(os.path.join(directory, "small"), boxes)
  path, configs = _config(directory, records)
  return directory, path, configs


def test_boxes_placed_on_anchors_are_all_covered(tmp_path):
  path, configs = _config(str(tmp_path), "unused")
  shapes = data.feature_map_shapes(configs, [(SIZE, SIZE)])[(SIZE, SIZE)]
  anchor_set = data.anchors_of(
      configs["model"].faster_rcnn.first_stage_anchor_generator,
      configs["model"].faster_rcnn.clip_anchors_to_image, shapes,
      (SIZE, SIZE))
  assert anchor_set.valid == len(anchor_set.anchors) > 0
  picked = anchor_set.anchors[::max(1, len(anchor_set.anchors) // 7)][:7]
  records = _write_records(str(tmp_path / "on"), [picked[:4], picked[4:]])
  configs = config_util.get_configs_from_pipeline_file(path)
  config_util.merge_external_params_with_configs(
      configs, kwargs_dict={"train_input_path": records})
  result = analysis.analyse(configs, suggest=False)
  assert len(result.truth.boxes) == len(picked)
  np.testing.assert_allclose(result.best, 1.0, atol=1e-4)
  assert result.coverage.overall.at_threshold == 1.0
  assert result.worst == []
  assert result.anchors_per_image == sum(
      h * w * 3 for h, w in shapes)


def test_small_boxes_get_low_coverage_and_the_suggestion_fixes_it(
    small_boxes, tmp_path):
  _, original, configs = small_boxes
  path = str(tmp_path / "fixed.config")
  shutil.copy(original, path)
  result = analysis.analyse(configs)
  assert result.coverage.overall.at_threshold == 0.0
  assert result.coverage.overall.mean_best_iou < 0.1
  assert len(result.worst) == 5 and result.worst[0]["source_id"] in (
      "img0", "img1")
  assert result.suggestion is not None
  assert result.suggested_anchors.total <= result.anchors_per_image
  assert result.suggested_coverage.overall.at_threshold >= 0.95
  # Applied with od-config set, the new config gives what was predicted.
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  applied = subprocess.run(
      [sys.executable, "-m", "object_detection.config_tool", "set", path]
      + result.set_arguments + ["--in-place"], cwd=REPO_ROOT,
      capture_output=True, text=True, timeout=120, env=env, check=False)
  assert applied.returncode == 0, applied.stderr
  fixed = analysis.analyse(config_util.get_configs_from_pipeline_file(path),
                           suggest=False)
  assert fixed.coverage.overall.at_threshold >= 0.95
  assert fixed.anchors_per_image <= result.anchors_per_image
  assert fixed.coverage.overall.at_threshold == pytest.approx(
      result.suggested_coverage.overall.at_threshold)


def _anchors_tool(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run(
      [sys.executable, "-m", "object_detection.anchor_analysis"] +
      list(flags), cwd=REPO_ROOT, capture_output=True, text=True,
      timeout=240, env=env, check=False)


def test_the_tool_prints_json_and_draws_the_picture(small_boxes, tmp_path):
  _, path, _ = small_boxes
  picture = str(tmp_path / "anchors.png")
  result = _anchors_tool("--pipeline_config_path=" + path, "--json",
                         "--output_png=" + picture, "--suggest=false")
  assert result.returncode == 0, result.stderr
  record = json.loads(result.stdout)
  assert record["boxes"] == 5 and record["images"] == 2
  assert record["input_shape"] == [SIZE, SIZE]
  assert record["coverage"]["overall"]["at_threshold"] == 0.0
  assert record["coverage"]["by_size"]["small"]["count"] == 5
  assert record["suggestion"] is None
  assert os.path.getsize(picture) > 10000


def test_bad_input_is_one_line_and_status_2(small_boxes, tmp_path):
  _, path, configs = small_boxes
  empty = _write_records(str(tmp_path / "empty"), [[], []])
  result = _anchors_tool("--pipeline_config_path=" + path,
                         "--input_path=" + empty, "--output_png=")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1] == (
      "od-anchors: error: %s: no ground-truth boxes in 2 example(s)" % empty)
  broken = tmp_path / "broken.tfrecord"
  with open(empty, "rb") as f:
    broken.write_bytes(f.read()[:-7])
  result = _anchors_tool("--pipeline_config_path=" + path,
                         "--input_path=" + str(broken), "--output_png=")
  assert result.returncode == 2
  assert "corrupt or truncated" in result.stderr.strip().splitlines()[-1]
  configs["model"].faster_rcnn.first_stage_anchor_generator.Clear()
  no_anchors = config_util.save_pipeline_config(
      configs, os.path.join(str(tmp_path), "no_anchors.config"))
  result = _anchors_tool("--pipeline_config_path=" + no_anchors)
  assert result.returncode == 2
  last = result.stderr.strip().splitlines()[-1]
  assert last.startswith("od-anchors: error: ") and "first_stage_anchor" \
      "_generator" in last, last
  assert "Traceback" not in result.stderr
