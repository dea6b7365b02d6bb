"""Tests for object_detection/training/checkpoints.py."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from object_detection.training import checkpoints


def _save(directory, value, step):
  variable = tf.Variable(value)
  manager = tf.train.CheckpointManager(tf.train.Checkpoint(v=variable),
                                       directory, max_to_keep=3)
  return manager.save(checkpoint_number=step)


def test_resolve_checkpoint_from_a_folder_or_a_prefix(tmp_path):
  prefix = _save(str(tmp_path), [1.0], 5)
  assert checkpoints.resolve_checkpoint(str(tmp_path), "f") == prefix
  assert checkpoints.resolve_checkpoint(prefix, "f") == prefix
  assert checkpoints.checkpoint_step(prefix) == 5
  with pytest.raises(ValueError, match=r"^f: 'nope' is not a checkpoint"):
    checkpoints.resolve_checkpoint("nope", "f")
  empty = tmp_path / "empty"
  empty.mkdir()
  with pytest.raises(ValueError, match="holds no checkpoint"):
    checkpoints.resolve_checkpoint(str(empty), "f")


def test_non_finite_variables_names_them():
  good = keras.Variable(np.ones(3, np.float32), name="good")
  bad = keras.Variable(np.array([1.0, np.nan], np.float32), name="bad")
  worse = keras.Variable(np.array([np.inf], np.float32), name="worse")
  assert checkpoints.non_finite_variables([good]) == []
  assert checkpoints.non_finite_variables([good, bad, worse]) == ["bad",
                                                                  "worse"]
  assert checkpoints.non_finite_variables([bad, worse], limit=1) == ["bad"]


def test_save_best_copies_the_checkpoint_and_replaces_the_old_best(tmp_path):
  model_dir = str(tmp_path)
  assert checkpoints.read_best(model_dir) is None
  first = _save(model_dir, [1.0, 2.0], 4)
  checkpoints.save_best(model_dir, first, "m", 0.25, 4)
  second = _save(model_dir, [3.0, 4.0], 8)
  best = checkpoints.save_best(model_dir, second, "m", 0.5, 8)
  assert checkpoints.read_best(model_dir) == {
      "metric": "m", "value": 0.5, "step": 8, "checkpoint": "ckpt-8"}
  assert sorted(os.listdir(model_dir)) == sorted(
      ["best", "checkpoint", "ckpt-4.index", "ckpt-4.data-00000-of-00001",
       "ckpt-8.index", "ckpt-8.data-00000-of-00001"])
  latest = tf.train.latest_checkpoint(best)
  assert latest == os.path.join(best, "ckpt-8")
  restored = tf.Variable([0.0, 0.0])
  tf.train.Checkpoint(v=restored).restore(latest).assert_consumed()
  np.testing.assert_array_equal(restored.numpy(), [3.0, 4.0])
  with open(os.path.join(best, "best_metric.json")) as f:
    assert json.load(f)["value"] == 0.5


def test_latest_training_checkpoint_sees_one_the_state_file_missed(tmp_path):
  model_dir = str(tmp_path)
  assert checkpoints.latest_training_checkpoint(model_dir) is None
  _save(model_dir, [1.0], 2)
  newer = tf.train.Checkpoint(v=tf.Variable([2.0])).write(
      os.path.join(model_dir, "ckpt-4"))  # no state file update
  assert tf.train.latest_checkpoint(model_dir).endswith("ckpt-2")
  assert checkpoints.latest_training_checkpoint(model_dir) == newer
