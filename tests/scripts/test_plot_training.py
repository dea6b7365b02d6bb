"""Tests for scripts/plot_training.py on a model_dir the test writes."""

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from tests.conftest import REPO_ROOT

SCRIPT = os.path.join(REPO_ROOT, "scripts", "plot_training.py")


@pytest.fixture(scope="module")
def plot_training():
  """The script imported as a module (once: it defines absl flags)."""
  name = "plot_training_under_test"
  if name not in sys.modules:
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
  return sys.modules[name]


def _write_run(model_dir, losses, evaluations):
  """Loss summaries of two training sessions and metrics JSON files."""
  first, second = losses[:6], losses[4:]  # steps 5 and 6 logged twice
  for offset, values in ((1, first), (5, second)):
    writer = tf.summary.create_file_writer(os.path.join(model_dir, "train"))
    with writer.as_default():
      for step, value in enumerate(values, start=offset):
        tf.summary.scalar("Loss/total_loss", value, step=step)
        tf.summary.scalar("learning_rate", 0.1, step=step)
    writer.close()
  os.makedirs(os.path.join(model_dir, "eval"), exist_ok=True)
  for step, metrics in evaluations:
    with open(os.path.join(model_dir, "eval", "metrics_%d.json" % step),
              "w") as f:
      json.dump({"step": step, "metrics": metrics}, f)


def test_losses_and_evaluations_are_read_by_step(plot_training, tmp_path):
  losses = [2.0, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6]
  _write_run(str(tmp_path), losses, [
      (8, {"DetectionBoxes_Precision/mAP@.50IOU": 0.9}),
      (4, {"DetectionBoxes_Precision/mAP@.50IOU": 0.5})])
  steps, values = plot_training.read_losses(str(tmp_path))
  assert list(steps) == list(range(1, 9))
  np.testing.assert_allclose(values, losses)
  assert [s for s, _ in plot_training.read_evaluations(str(tmp_path))] == [
      4, 8]


def test_running_mean(plot_training):
  np.testing.assert_allclose(
      plot_training.running_mean(np.array([1.0, 3.0, 5.0, 7.0]), 2),
      [1.0, 2.0, 4.0, 6.0])


def _run(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run([sys.executable, SCRIPT] + list(flags), cwd=REPO_ROOT,
                        capture_output=True, text=True, timeout=120, env=env,
                        check=False)


def test_plot_is_written_and_the_last_evaluation_printed(tmp_path):
  model_dir = str(tmp_path / "model")
  _write_run(model_dir, [3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1], [
      (4, {"DetectionBoxes_Precision/mAP@.50IOU": 0.5,
           "DetectionMasks_Precision/mAP@.50IOU": 0.25}),
      (8, {"DetectionBoxes_Precision/mAP@.50IOU": 0.875,
           "DetectionMasks_Precision/mAP@.50IOU": 0.75,
           "DetectionBoxes_Precision/mAP": None})])
  output = str(tmp_path / "plot.png")
  result = _run("--model_dir=" + model_dir, "--output=" + output)
  assert result.returncode == 0, result.stderr
  assert Image.open(output).size == (1100, 400)
  assert "training plot (8 steps, 2 evaluations)" in result.stdout
  assert "loss: 3.0000 at step 1, 0.1000 at step 8" in result.stdout
  assert ("evaluation at step 8: box mAP@0.5 0.875, mask mAP@0.5 0.750\n"
          in result.stdout)


def test_a_folder_without_training_is_one_line_and_status_2(tmp_path):
  result = _run("--model_dir=" + str(tmp_path))
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1] == (
      "plot_training: error: %s: no Loss/total_loss summaries in its train "
      "folder" % tmp_path)
