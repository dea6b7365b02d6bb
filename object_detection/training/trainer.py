"""The state of one training run: model, optimizer, data, checkpoints.

`Trainer` is built inside the strategy's scope by model_lib_v2.train_loop:
it builds the model and optimizer, the distributed training dataset, the
model's variables (one eager predict on the first batch), the checkpoint
manager and the summary writer, and offers restore / save / summaries to
the loop. `StopSignals` turns SIGTERM and SIGINT into a flag the loop reads
after each step.
"""

import logging
import math
import os
import signal
import threading
from typing import Dict, Optional

import tensorflow as tf

from object_detection import inputs
from object_detection.builders import model_builder
from object_detection.builders import optimizer_builder
from object_detection.training import checkpoints
from object_detection.training import distribution
from object_detection.training import evaluation
from object_detection.training import summaries
from object_detection.training import train_settings
from object_detection.training import train_step as train_step_lib

_LOG = logging.getLogger(__name__)

NUM_TRAIN_IMAGES = 3
# Summary events buffered before the file is written, and the longest wait
# before TensorBoard sees them.
SUMMARY_QUEUE_EVENTS = 1000
SUMMARY_FLUSH_MILLIS = 10000


class TrainingDivergedError(RuntimeError):
  """A loss or the weights became NaN or infinite during training."""



class StopSignals:
  """Turns SIGTERM / SIGINT into a flag the loop reads after each step.

  A second SIGINT raises KeyboardInterrupt at once. Installed only in the
  main thread (signal handlers cannot be set elsewhere).
  """

  def __init__(self):
    self.received = ""
    self._previous = {}

  def __enter__(self):
    if threading.current_thread() is threading.main_thread():
      for signum in (signal.SIGTERM, signal.SIGINT):
        self._previous[signum] = signal.signal(signum, self._handle)
    return self

  def _handle(self, signum, frame):
    del frame
    if self.received and signum == signal.SIGINT:
      raise KeyboardInterrupt
    self.received = signal.Signals(signum).name
    _LOG.warning("%s received: saving a checkpoint after this step",
                 self.received)

  def __exit__(self, *exc):
    for signum, handler in self._previous.items():
      signal.signal(signum, handler)
    return False


def _first_replica(values):
  strategy = tf.distribute.get_strategy()
  return tf.nest.map_structure(
      lambda v: strategy.experimental_local_results(v)[0], values)


def _create_variables(model, features, labels, train_config) -> None:
  """One eager predict on replica 0's batch creates the model's variables."""
  features, labels = _first_replica((features, labels))
  train_step_lib.provide_groundtruth(model, labels,
                                     train_config.unpad_groundtruth_tensors)
  model.predict(features["image"], features["true_image_shape"],
                **model.get_side_inputs(features))


class Trainer:
  """State of one train_loop run (built in the strategy's scope)."""

  def __init__(self, configs, model_dir: str, num_steps: int,
               checkpoint_every_n: int, checkpoint_max_to_keep: int,
               record_summaries: bool, seed: Optional[int]):
    self.configs = configs
    self.train_config = configs["train_config"]
    self.num_steps = num_steps
    self.checkpoint_every_n = max(1, checkpoint_every_n)
    self.strategy = tf.distribute.get_strategy()
    self.chief = distribution.is_chief(self.strategy)
    self.write_dir = distribution.WriteDirectory(model_dir, self.chief,
                                                 self.strategy)
    model_config = configs["model"]
    self.model = model_builder.build(model_config, is_training=True)
    self.optimizer, (self.learning_rate_fn,) = optimizer_builder.build(
        self.train_config.optimizer)
    self.global_step = tf.Variable(
        0, dtype=tf.int64, trainable=False, name="global_step",
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA)

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
      # dataset_builder splits the global batch_size with the context.
      return inputs.train_input(
          self.train_config, configs["train_input_config"], model_config,
          model=self.model, input_context=context, seed=seed)

    self.iterator = iter(
        self.strategy.distribute_datasets_from_function(dataset_fn))
    self.pending = next(self.iterator)
    _create_variables(self.model, *self.pending, self.train_config)
    # The optimizer keeps slots and moving averages by position, in the
    # order of model.trainable_variables (layer structure, not names), which
    # an evaluation model built with is_training=False shares.
    self.variables = train_settings.trainable_variables(
        self.train_config, self.model.trainable_variables)
    self.optimizer.build(self.variables)
    self.checkpoint = tf.train.Checkpoint(
        step=self.global_step, model=self.model, optimizer=self.optimizer)
    hours = self.train_config.keep_checkpoint_every_n_hours
    self.manager = tf.train.CheckpointManager(
        self.checkpoint, self.write_dir.path,
        max_to_keep=checkpoint_max_to_keep,
        keep_checkpoint_every_n_hours=hours if hours < 10000 else None,
        step_counter=self.global_step)
    self.writer = None
    if record_summaries:
      # The step writes a dozen scalars; the default queue of 10 events
      # would write to the file after every step or so.
      self.writer = tf.summary.create_file_writer(
          os.path.join(self.write_dir.path, "train"),
          max_queue=SUMMARY_QUEUE_EVENTS, flush_millis=SUMMARY_FLUSH_MILLIS)
    self.category_index = evaluation.category_index_for(
        configs["train_input_config"], self.model.num_classes)
    self.step_fn = train_step_lib.TrainStep(
        self.model, self.optimizer, self.variables, self.train_config,
        self.global_step, self.strategy, self.learning_rate_fn, self.writer)

  def restore(self) -> int:
    """Resumes from model_dir or restores the fine-tune checkpoint."""
    latest = checkpoints.latest_training_checkpoint(self.write_dir.path)
    if latest:
      self.checkpoint.restore(latest).assert_existing_objects_matched()
      _LOG.info("Resumed from %s at step %d", latest,
                int(self.global_step.numpy()))
    elif self.train_config.fine_tune_checkpoint:
      checkpoints.restore_fine_tune_checkpoint(self.model, self.train_config)
    return int(self.global_step.numpy())

  def last_checkpoint(self) -> Optional[str]:
    """The newest complete checkpoint on disk (the manager's list misses one
    resumed from after a kill)."""
    return checkpoints.latest_training_checkpoint(self.write_dir.path)

  def next_batch(self):
    if self.pending is not None:
      batch, self.pending = self.pending, None
      return batch
    return next(self.iterator)

  def save(self, step: int) -> str:
    """Saves a checkpoint after checking that the weights are finite."""
    bad = checkpoints.non_finite_variables(self.model.trainable_variables)
    if bad:
      raise TrainingDivergedError(
          "training diverged: after step %d the weights %s hold NaN or "
          "infinite values; nothing was saved, the last checkpoint is %s"
          % (step, ", ".join(bad), self.last_checkpoint()))
    path = self.manager.save(checkpoint_number=step)
    _LOG.info("Saved checkpoint %s", path)
    return path

  def write_summaries(self, step: int, steps_per_second: Optional[float],
                      batch) -> None:
    """Host-side summaries (the step writes the losses itself)."""
    if self.writer is None:
      return
    if steps_per_second:
      summaries.write_scalars(self.writer,
                              {"steps_per_sec": steps_per_second}, step)
    if batch is not None:
      features, labels = _first_replica(batch)
      summaries.write_training_images(self.writer, features, labels,
                                      self.category_index, step,
                                      NUM_TRAIN_IMAGES)


def diverged_message(step: int, losses: Dict[str, float], last_checkpoint) -> str:
  bad = ", ".join("%s = %s" % (name, value) for name, value in losses.items()
                  if not math.isfinite(value))
  return ("training diverged at step %d: %s; nothing was saved from this "
          "step, the last checkpoint is %s (try a lower learning rate or "
          "train_config.gradient_clipping_by_norm)" % (
              step, bad, last_checkpoint or "none"))
