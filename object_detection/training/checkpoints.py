"""Checkpoints of the training loop: fine-tune restore and the best one.

Training checkpoints are `tf.train.Checkpoint(step=..., model=...,
optimizer=...)` written by a tf.train.CheckpointManager as
`<model_dir>/ckpt-<step>`, the layout the TF OD API's TF2 loop writes, so
either project's evaluation can read the other's checkpoints.

The best checkpoint (`--eval_every_n`) is a copy of the checkpoint files in
`<model_dir>/best/` with `best/best_metric.json` holding the metric, its
value and the step; the folder is written beside and renamed, so a crash
never leaves a half-written best.
"""

import glob
import json
import logging
import os
import shutil
from typing import Dict, Optional, Sequence

import tensorflow as tf

from object_detection.builders import optimizer_builder
from object_detection.training import train_settings
from object_detection.utils import file_io

_LOG = logging.getLogger(__name__)

BEST_DIR = "best"
BEST_JSON = "best_metric.json"


def resolve_checkpoint(path: str, field: str) -> str:
  """A checkpoint prefix from a prefix or a folder; ValueError naming field."""
  if tf.io.gfile.isdir(path):
    latest = tf.train.latest_checkpoint(path)
    if latest is None:
      raise ValueError("%s: folder %r holds no checkpoint" % (field, path))
    return latest
  if not tf.io.gfile.glob(path + ".index"):
    raise ValueError("%s: %r is not a checkpoint (no %s.index)" % (
        field, path, os.path.basename(path)))
  return path


def latest_training_checkpoint(model_dir: str) -> Optional[str]:
  """The newest complete ckpt-<step> of model_dir, or None.

  Newer than the `checkpoint` state file when a run was killed between
  writing a checkpoint (its .index is written last) and updating the state.
  """
  latest = tf.train.latest_checkpoint(model_dir)
  best_step = checkpoint_step(latest) if latest else -1
  for index in tf.io.gfile.glob(os.path.join(model_dir, "ckpt-*.index")):
    prefix = index[:-len(".index")]
    try:
      step = checkpoint_step(prefix)
    except ValueError:
      continue
    if step > best_step and tf.io.gfile.glob(prefix + ".data-*"):
      latest, best_step = prefix, step
  return latest


def restore_fine_tune_checkpoint(model, train_config) -> str:
  """Restores train_config.fine_tune_checkpoint into `model`.

  What is restored follows fine_tune_checkpoint_type (see
  DetectionModel.restore_from_objects); every object asked for must be in
  the checkpoint (assert_existing_objects_matched), extra checkpoint values
  are allowed (expect_partial).

  Returns:
    The checkpoint prefix read.

  Raises:
    ValueError: missing checkpoint or objects that do not match it, naming
      train_config.fine_tune_checkpoint.
  """
  field = "train_config.fine_tune_checkpoint"
  prefix = resolve_checkpoint(train_config.fine_tune_checkpoint, field)
  kind = train_settings.fine_tune_checkpoint_type(train_config)
  checkpoint = tf.train.Checkpoint(**model.restore_from_objects(kind))
  status = checkpoint.restore(prefix).expect_partial()
  try:
    status.assert_existing_objects_matched()
  except AssertionError as error:
    raise ValueError("%s: %r does not hold a %r checkpoint of this model: %s"
                     % (field, prefix, kind,
                        str(error).splitlines()[0])) from None
  _LOG.info("Restored fine_tune_checkpoint %s (type %s)", prefix, kind)
  return prefix


def non_finite_variables(variables: Sequence[tf.Variable],
                         limit: int = 5) -> list:
  """Paths of up to `limit` variables holding NaN or infinite values."""
  if not variables:
    return []
  # One stacked check, one device-to-host copy (not one per variable).
  finite = tf.stack([tf.reduce_all(tf.math.is_finite(v))
                     for v in variables]).numpy()
  return [train_settings.variable_path(v)
          for v, ok in zip(variables, finite) if not ok][:limit]


def checkpoint_step(prefix: str) -> int:
  """The step of a 'ckpt-<step>' prefix."""
  try:
    return int(prefix.rsplit("-", 1)[1])
  except (IndexError, ValueError):
    raise ValueError("%r is not a ckpt-<step> checkpoint" % prefix) from None


def read_best(model_dir: str) -> Optional[Dict]:
  """The best-checkpoint record of model_dir, or None."""
  path = os.path.join(model_dir, BEST_DIR, BEST_JSON)
  if not file_io.exists(path):
    return None
  return json.loads(file_io.read_bytes(path).decode("utf-8"))


def save_best(model_dir: str, prefix: str, metric: str, value: float,
              step: int) -> str:
  """Copies checkpoint `prefix` to model_dir/best with its record.

  Returns:
    The new best folder.
  """
  best = os.path.join(model_dir, BEST_DIR)
  staging = best + ".tmp"
  shutil.rmtree(staging, ignore_errors=True)
  os.makedirs(staging)
  for path in glob.glob(prefix + ".*"):
    shutil.copy2(path, staging)
  name = os.path.basename(prefix)
  # The CheckpointState text tf.train.latest_checkpoint reads, with a
  # relative path so that it stays right after the rename below.
  file_io.write_text_atomically(
      os.path.join(staging, "checkpoint"),
      'model_checkpoint_path: "%s"\nall_model_checkpoint_paths: "%s"\n'
      % (name, name))
  record = {"metric": metric, "value": value, "step": step,
            "checkpoint": name}
  file_io.write_text_atomically(os.path.join(staging, BEST_JSON),
                                json.dumps(record, indent=2) + "\n")
  old = best + ".old"
  shutil.rmtree(old, ignore_errors=True)
  if os.path.isdir(best):
    os.rename(best, old)
  os.rename(staging, best)
  shutil.rmtree(old, ignore_errors=True)
  return best


class TrainedWeights:
  """Restores training checkpoints into an inference model, many times.

  With `averaged` the optimizer (built as the training loop builds it, over
  the same variables in the same order, since it keeps the moving averages
  by position) is restored too and its averages are copied into the model.
  The model must then have created its variables (one predict) before the
  first restore; without averages a restore may come first and is applied
  when the variables are created.

  Args:
    model: the DetectionModel (is_training=False).
    train_config: the pipeline's train_config.
    averaged: use the optimizer's moving averages.
  """

  def __init__(self, model, train_config, averaged: bool):
    self._model = model
    self._train_config = train_config
    self.averaged = averaged
    self._optimizer = None
    self._trained = None

  def restore(self, prefix: str) -> int:
    """Restores checkpoint `prefix`; returns its step."""
    step = tf.Variable(0, dtype=tf.int64)
    parts = dict(step=step, model=self._model)
    if self.averaged:
      if self._optimizer is None:
        if not self._model.trainable_variables:
          raise RuntimeError("TrainedWeights: build the model (one "
                             "predict) before restoring moving averages")
        self._trained = train_settings.trainable_variables(
            self._train_config, self._model.trainable_variables)
        self._optimizer, _ = optimizer_builder.build(
            self._train_config.optimizer)
        self._optimizer.build(self._trained)
      parts["optimizer"] = self._optimizer
    tf.train.Checkpoint(**parts).restore(prefix).expect_partial()
    if self.averaged:
      self._optimizer.finalize_variable_values(self._trained)
    return int(step.numpy())


def uses_moving_averages(configs) -> bool:
  """eval_config.use_moving_averages, for an optimizer that keeps them."""
  return bool(configs["eval_config"].use_moving_averages and
              configs["train_config"].optimizer.use_moving_average)
