"""Tests for scripts/preview_inputs.py, run as a user runs it."""

import os
import subprocess
import sys

import numpy as np
from PIL import Image

from object_detection.data import shapes_dataset
from object_detection.data import tf_example_writer

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO_ROOT, "scripts", "preview_inputs.py")
LABEL_MAP = os.path.join(REPO_ROOT, "pipelines", "shapes_label_map.pbtxt")


def _run(*args):
  return subprocess.run([sys.executable, SCRIPT] + list(args),
                        capture_output=True, text=True, cwd=REPO_ROOT,
                        timeout=300, check=False)


def _pipeline(tmp_path, input_path, augmentation="random_horizontal_flip {}"):
  path = os.path.join(str(tmp_path), "pipeline.config")
  with open(path, "w") as config:
    config.write("""
train_config {{ data_augmentation_options {{ {} }} }}
train_input_reader {{
  label_map_path: "{}"
  load_instance_masks: true
  mask_type: PNG_MASKS
  tf_record_input_reader {{ input_path: "{}" }}
}}
""".format(augmentation, LABEL_MAP, input_path))
  return path


def _records(tmp_path, count=3):
  rng = np.random.default_rng(0)
  examples = []
  for index in range(count):
    shapes = shapes_dataset.make_example(rng, 48, 64, max_size=20)
    examples.append(tf_example_writer.encode_detection_example(
        shapes.image, shapes.boxes, shapes.classes,
        shapes_dataset.CLASS_NAMES, "img%d" % index, shapes.masks))
  prefix = os.path.join(str(tmp_path), "train")
  tf_example_writer.write_tfrecord_shards(examples, prefix, num_shards=1)
  return prefix + "-?????-of-00001.tfrecord"


def test_draws_the_augmented_examples(tmp_path):
  config = _pipeline(tmp_path, _records(tmp_path))
  output = os.path.join(str(tmp_path), "out", "inputs.png")
  os.makedirs(os.path.dirname(output))
  result = _run("--pipeline_config_path=" + config, "--output=" + output,
                "--num_examples=2")
  assert result.returncode == 0, result.stderr
  assert result.stdout.strip().endswith(
      "(2 examples from pipeline.config)")
  with Image.open(output) as image:
    pixels = np.asarray(image.convert("RGB"))
  # Two panels side by side, not a blank canvas.
  assert pixels.shape[1] > pixels.shape[0]
  assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_a_glob_that_matches_nothing_is_one_line_and_status_2(tmp_path):
  config = _pipeline(tmp_path, str(tmp_path / "missing-*.tfrecord"))
  result = _run("--pipeline_config_path=" + config,
                "--output=" + str(tmp_path / "x.png"))
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1] == (
      "preview_inputs: error: train_input_reader.tf_record_input_reader."
      "input_path: '{}' matches no file".format(tmp_path / "missing-*.tfrecord"))
  assert "Traceback" not in result.stderr
  assert not (tmp_path / "x.png").exists()


def test_a_bad_augmentation_step_names_its_config_path(tmp_path):
  config = _pipeline(tmp_path, _records(tmp_path, 1),
                     "random_crop_image { min_area: 1.5 }")
  result = _run("--pipeline_config_path=" + config,
                "--output=" + str(tmp_path / "x.png"))
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1] == (
      "preview_inputs: error: train_config.data_augmentation_options[0]."
      "random_crop_image.min_area: must be in (0, 1], got 1.5")
