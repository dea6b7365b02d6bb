"""Tests for object_detection/training/history.py on a model_dir the test
writes."""

import json
import os

import numpy as np
import tensorflow as tf

from object_detection.training import history


def write_run(model_dir, losses, evaluations):
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


def test_losses_and_evaluations_are_read_by_step(tmp_path):
  losses = [2.0, 1.5, 1.2, 1.0, 0.9, 0.8, 0.7, 0.6]
  write_run(str(tmp_path), losses, [
      (8, {"DetectionBoxes_Precision/mAP@.50IOU": 0.9}),
      (4, {"DetectionBoxes_Precision/mAP@.50IOU": 0.5})])
  steps, values = history.read_losses(str(tmp_path))
  assert list(steps) == list(range(1, 9))
  np.testing.assert_allclose(values, losses)
  assert [s for s, _ in history.read_evaluations(str(tmp_path))] == [
      4, 8]


def test_running_mean():
  np.testing.assert_allclose(
      history.running_mean(np.array([1.0, 3.0, 5.0, 7.0]), 2),
      [1.0, 2.0, 4.0, 6.0])
