"""Tests for od-infer (object_detection/infer_tool.py) and the inference
package it runs: a tiny Mask R-CNN with random weights is exported once
per input type, then run over PNG files and a TFRecord."""

import glob
import os
import re
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from object_detection import exporter_lib_v2
from object_detection.builders import model_builder
from object_detection.inference import detector
from object_detection.inference import image_sources
from object_detection.utils import config_util
from object_detection.utils import flags_util
from tests.conftest import REPO_ROOT
from tests.conftest import shapes_examples
from tests.conftest import write_examples

SIZE = 64
LABEL_MAP = os.path.join(REPO_ROOT, "pipelines", "shapes_label_map.pbtxt")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
  return str(tmp_path_factory.mktemp("infer"))


@pytest.fixture(scope="module")
def exports(workdir):
  """input type -> export folder of one random-weight tiny model."""
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"))
  config_util.merge_external_params_with_configs(configs, kwargs_dict={
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": SIZE,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": SIZE,
      "label_map_path": LABEL_MAP,
  })
  tf.keras.utils.set_random_seed(6)
  model = model_builder.build(configs["model"], is_training=False)
  model.predict(*model.preprocess(tf.zeros([1, SIZE, SIZE, 3])))
  model_dir = os.path.join(workdir, "model")
  tf.train.CheckpointManager(tf.train.Checkpoint(model=model), model_dir,
                             max_to_keep=1).save(checkpoint_number=1)
  pipeline = config_util.create_pipeline_proto_from_configs(configs)
  found = {}
  for input_type in ("image_tensor", "tf_example"):
    found[input_type] = os.path.join(workdir, input_type)
    exporter_lib_v2.export_inference_graph(input_type, pipeline, model_dir,
                                           found[input_type])
  return found


@pytest.fixture(scope="module")
def pictures(workdir):
  """Three PNG files (one 80x48) and a TFRecord of two examples."""
  examples = shapes_examples(3, seed=8, size=SIZE)
  directory = os.path.join(workdir, "pictures")
  os.makedirs(directory)
  paths = []
  for index, example in enumerate(examples):
    image = example.image if index else np.resize(example.image, (80, 48, 3))
    paths.append(os.path.join(directory, "p%d.png" % index))
    PIL.Image.fromarray(image).save(paths[-1])
  pattern = write_examples(examples[:2], os.path.join(workdir, "val"), "val")
  return paths, glob.glob(pattern)[0]


def test_sources_expand_globs_and_read_records(pictures):
  paths, record = pictures
  found = image_sources.expand([os.path.join(os.path.dirname(paths[0]),
                                             "p*.png"), record])
  assert found[:3] == paths and image_sources.is_record_file(found[3])
  images = list(image_sources.read(found))
  assert [i.name for i in images] == ["p0", "p1", "p2", "val0", "val1"]
  assert images[0].example is None and images[3].example is not None
  assert detector.decode_image(images[3].encoded, "x").shape == (SIZE, SIZE,
                                                                  3)
  assert len(list(image_sources.read(found, max_images=4))) == 4
  with pytest.raises(ValueError, match=re.escape("'nothing-*.png': no such")):
    image_sources.expand(["nothing-*.png"])


@pytest.mark.parametrize("input_type, kind", [("image_tensor", "uint8"),
                                              ("tf_example", "tf_example")])
def test_detector_feeds_each_input_type(exports, pictures, input_type, kind):
  paths, _ = pictures
  model = detector.ExportedDetector(exports[input_type])
  assert model.input_kind == kind
  with open(paths[0], "rb") as f:
    image, detections = model.detect(f.read())
  assert image.shape == (80, 48, 3)
  count = int(detections["num_detections"])
  assert count > 0
  assert detections["detection_boxes"].shape == (count, 4)
  assert detections["detection_classes"].dtype == np.int64
  assert set(detections["detection_classes"]) <= {1, 2, 3}
  masks = detections["detection_masks"]
  assert masks.shape == (count, 80, 48) and set(np.unique(masks)) <= {0, 1}
  # A mask lies inside its box.
  ymin, xmin, ymax, xmax = detections["detection_boxes"][0] * [80, 48, 80, 48]
  rows, cols = np.nonzero(masks[0])
  if rows.size:
    assert rows.min() >= np.floor(ymin) - 1 and rows.max() <= ymax + 1
    assert cols.min() >= np.floor(xmin) - 1 and cols.max() <= xmax + 1


def test_detectors_of_two_input_types_agree(exports, pictures):
  _, record = pictures
  image = next(image_sources.read([record]))
  _, from_array = detector.ExportedDetector(exports["image_tensor"]).detect(
      image.encoded)
  _, from_example = detector.ExportedDetector(exports["tf_example"]).detect(
      image.encoded, example=image.example)
  for key in ("detection_boxes", "detection_scores", "detection_masks"):
    np.testing.assert_allclose(from_array[key], from_example[key], atol=1e-5)


def test_category_index_is_the_exports_label_map(exports):
  model = detector.ExportedDetector(exports["image_tensor"])
  names = {k: v["name"] for k, v in model.category_index().items()}
  assert names == {1: "square", 2: "circle", 3: "triangle"}


def test_grid_places_each_image_in_its_cell():
  images = [np.full([4, 6, 3], value, np.uint8) for value in (10, 20, 30)]
  grid = detector.grid_image(images, columns=2, gap=1)
  assert grid.shape == (9, 13, 3)
  assert (grid[:4, :6] == 10).all() and (grid[:4, 7:] == 20).all()
  assert (grid[5:, :6] == 30).all() and (grid[5:, 7:] == 255).all()
  assert (grid[4] == 255).all()


def _infer(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run(
      [sys.executable, os.path.join(REPO_ROOT, "scripts", "infer.py")]
      + list(flags), cwd=REPO_ROOT, capture_output=True, text=True,
      timeout=240, env=env, check=False)


def test_infer_writes_annotated_pngs_and_a_grid(exports, pictures, tmp_path):
  paths, record = pictures
  output = str(tmp_path / "out")
  grid = str(tmp_path / "grid.png")
  result = _infer("--saved_model_dir=" + exports["image_tensor"],
                  "--input=%s,%s" % (paths[0], paths[1]), "--input=" + record,
                  "--output_dir=" + output, "--grid=" + grid,
                  "--grid_columns=2", "--min_score_thresh=0.0")
  assert result.returncode == 0, result.stderr
  assert sorted(os.listdir(output)) == ["p0.png", "p1.png", "val0.png",
                                        "val1.png"]
  progress = [l for l in result.stdout.splitlines() if l.startswith("image ")]
  assert len(progress) == 4 and progress[-1].startswith("image 4  ")
  annotated = np.array(PIL.Image.open(os.path.join(output, "p1.png")))
  original = np.array(PIL.Image.open(paths[1]))
  assert annotated.shape == original.shape and (annotated != original).any()
  assert np.array(PIL.Image.open(grid)).shape == (2 * 80 + 4, 2 * SIZE + 4,
                                                  3)


@pytest.mark.parametrize("flags, message", [
    (["--input=/nonexistent/*.png"], "'/nonexistent/*.png': no such file"),
    (["--saved_model_dir=/nonexistent"], "/nonexistent: not an export"),
    (["--max_images=0"], "--max_images must be >= 1"),
])
def test_infer_bad_input_is_one_line_and_status_2(exports, pictures,
                                                  tmp_path, flags, message):
  paths, _ = pictures
  result = _infer("--saved_model_dir=" + exports["image_tensor"],
                  "--input=" + paths[0], "--output_dir=" + str(tmp_path),
                  *flags)
  assert result.returncode == 2, result.stderr
  lines = result.stderr.strip().splitlines()
  assert len(lines) == 1 and message in lines[0], result.stderr
  assert not flags_util.is_startup_noise(lines[0])
  assert "Traceback" not in result.stderr
