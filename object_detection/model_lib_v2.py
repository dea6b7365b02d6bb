"""Training and evaluation loops from a pipeline.config (TF2, tf.distribute).

    strategy = tf.distribute.MirroredStrategy()
    with strategy.scope():
      model_lib_v2.train_loop("pipeline.config", "model_dir",
                              train_steps=1000, checkpoint_every_n=100)
    model_lib_v2.eval_continuously("pipeline.config", "model_dir",
                                   checkpoint_dir="model_dir", timeout=600)

`train_loop` trains under the strategy of the caller's scope (as the TF OD
API's does), one step per batch of the global `train_config.batch_size`
split over the replicas (training/train_step.py). It resumes from the
latest checkpoint of model_dir, otherwise restores
`train_config.fine_tune_checkpoint`; keeps `checkpoint_max_to_keep`
checkpoints (and one every `keep_checkpoint_every_n_hours`), saving every
`checkpoint_every_n` steps and at the last one. It prints a progress line
(training/progress.py) and writes TensorBoard summaries under
model_dir/train (training/summaries.py).

Stops: a NaN or infinite loss (or weights gone non-finite before a save)
raises TrainingDivergedError naming the step and what went bad; nothing is
saved from then on, so the last checkpoint is the last good one. SIGTERM or
SIGINT (Ctrl-C) finish the current step, save a checkpoint and return with
`TrainResult.stopped_by` set to the signal's name.

Differences from the TF OD API, on purpose: the effective pipeline.config
(after overrides) is always written to model_dir (its `save_final_config`
is accepted and ignored); `train_config.use_bfloat16` is an error instead of
silently off outside TPUs; `eval_every_n` evaluates inside training and
keeps the best checkpoint in model_dir/best; `train_loop` returns a
TrainResult instead of None.
"""

import dataclasses
import logging
import math
import os
import time
from typing import Any, Dict, List, Mapping, Optional

import keras
import tensorflow as tf

from object_detection import eval_util
from object_detection.training import checkpoints
from object_detection.training import distribution
from object_detection.training import evaluation
from object_detection.training import progress as progress_lib
from object_detection.training import train_settings
from object_detection.training import train_step as train_step_lib
from object_detection.training import trainer as trainer_lib
from object_detection.utils import config_util

_LOG = logging.getLogger(__name__)

TOTAL_LOSS = train_step_lib.TOTAL_LOSS
TrainingDivergedError = trainer_lib.TrainingDivergedError


@dataclasses.dataclass
class TrainResult:
  """What a train_loop run did.

  Attributes:
    step: the global step at the end.
    losses: the losses of the last step run (empty when none ran).
    steps_per_second: steady-state rate (after the first step), or None.
    first_step_seconds: time of the first step (tracing included), or None.
    stopped_by: '' when the run reached its last step, else 'SIGTERM' or
      'SIGINT'.
    best: the best-checkpoint record ({'metric', 'value', 'step'}) or None.
    evaluation: the metrics of the last evaluation (eval_every_n), or None.
    evaluation_step: the step of that evaluation.
  """
  step: int
  losses: Dict[str, float]
  steps_per_second: Optional[float] = None
  first_step_seconds: Optional[float] = None
  stopped_by: str = ""
  best: Optional[Dict[str, Any]] = None
  evaluation: Optional[Dict[str, float]] = None
  evaluation_step: Optional[int] = None


def load_configs(pipeline_config_path: str,
                 config_override: Optional[str] = None,
                 overrides: Optional[Mapping[str, Any]] = None
                 ) -> Dict[str, Any]:
  """The configs dict of a file, `config_override` and override keys.

  Args:
    pipeline_config_path: the pipeline.config.
    config_override: text-format TrainEvalPipelineConfig merged on top.
    overrides: override key -> value (config_util's keys: named ones such
      as train_steps, or field paths such as train_config.batch_size),
      applied in order; None values are skipped.

  Raises:
    ConfigError: a bad file, override text or key.
  """
  pipeline = config_util.load_pipeline_config(pipeline_config_path,
                                              config_override)
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  if overrides:
    config_util.merge_external_params_with_configs(
        configs, kwargs_dict={k: v for k, v in overrides.items()
                              if v is not None})
  return configs


def train_loop(pipeline_config_path: str, model_dir: str,
               config_override: Optional[str] = None,
               train_steps: Optional[int] = None, use_tpu: bool = False,
               save_final_config: bool = False, checkpoint_every_n: int = 1000,
               checkpoint_max_to_keep: int = 7, record_summaries: bool = True,
               performance_summary_exporter=None,
               num_steps_per_iteration: int = 1,
               overrides: Optional[Mapping[str, Any]] = None,
               eval_every_n: int = 0, log_every_n: int = 100,
               seed: Optional[int] = None, **kwargs) -> TrainResult:
  """Trains the model of a pipeline.config (see the module docstring).

  Args:
    pipeline_config_path: the pipeline.config.
    model_dir: checkpoints, summaries and the effective config go here.
    config_override: text-format TrainEvalPipelineConfig merged on top.
    train_steps: steps to train to; default train_config.num_steps.
    use_tpu: accepted for the TF OD API's signature (the strategy decides).
    save_final_config: ignored; the effective config is always written.
    checkpoint_every_n: save every this many steps (and at the last one).
    checkpoint_max_to_keep: checkpoints kept.
    record_summaries: write TensorBoard summaries.
    performance_summary_exporter: optional callable(metrics dict, step)
      given the final steps_per_sec (as in the TF OD API).
    num_steps_per_iteration: must be 1 (one step per tf.function call).
    overrides: override key -> value (see load_configs).
    eval_every_n: when > 0, evaluate every this many steps (and at the last
      one) on the chief and keep the best checkpoint in model_dir/best.
    log_every_n: progress line cadence in steps.
    seed: optional int seeding the input pipeline's shuffling and
      augmentation, and (keras.utils.set_random_seed) the initial weights
      and the model's sampling.
    **kwargs: further override keys (the TF OD API passes them this way).

  Returns:
    TrainResult.

  Raises:
    ValueError / ConfigError: a bad config, override or setting, before
      training starts.
    TrainingDivergedError: a NaN or infinite loss or weights.
  """
  del use_tpu, save_final_config
  if num_steps_per_iteration != 1:
    raise ValueError("num_steps_per_iteration must be 1, got %d"
                     % num_steps_per_iteration)
  all_overrides = dict(kwargs)
  all_overrides.update(overrides or {})
  configs = load_configs(pipeline_config_path, config_override, all_overrides)
  train_config = configs["train_config"]
  num_steps = train_steps or train_config.num_steps
  if not num_steps:
    raise ValueError("train_config.num_steps is 0 and no train_steps given: "
                     "set how many steps to train")
  if seed is not None:
    # Python, NumPy and TensorFlow's global seed (proposal and minibatch
    # sampling, initial weights) besides the input pipeline's.
    keras.utils.set_random_seed(seed)
  strategy = tf.distribute.get_strategy()
  train_settings.check_train_config(train_config,
                                    strategy.num_replicas_in_sync)
  if distribution.is_chief(strategy):
    # An explicit file name: a model_dir named like x.config stays a folder.
    config_util.save_pipeline_config(
        configs, os.path.join(model_dir, config_util.DEFAULT_CONFIG_NAME))
  trainer = trainer_lib.Trainer(configs, model_dir, num_steps, checkpoint_every_n,
                     checkpoint_max_to_keep, record_summaries, seed)
  try:
    result = _run(trainer, log_every_n, eval_every_n, model_dir)
  finally:
    if trainer.writer is not None:
      trainer.writer.flush()
    trainer.write_dir.cleanup()
  if performance_summary_exporter is not None and result.steps_per_second:
    performance_summary_exporter(
        {"steps_per_sec": result.steps_per_second}, result.step)
  return result


def _run(trainer: trainer_lib.Trainer, log_every_n: int, eval_every_n: int,
         model_dir: str) -> TrainResult:
  """The loop proper: steps, progress, summaries, checkpoints, evaluation."""
  start = trainer.restore()
  result = TrainResult(step=start, losses={},
                       best=checkpoints.read_best(model_dir))
  if start >= trainer.num_steps:
    _LOG.warning("model_dir already holds step %d >= %d steps: nothing to "
                 "train", start, trainer.num_steps)
    return result
  progress = progress_lib.ProgressLine(start, trainer.num_steps, log_every_n)
  evaluator = None
  step = start
  with trainer_lib.StopSignals() as stop:
    while step < trainer.num_steps:
      batch = trainer.next_batch()
      losses = {k: float(v) for k, v in trainer.step_fn(*batch).items()}
      learning_rate = losses.pop(train_step_lib.LEARNING_RATE)
      step += 1
      if not all(math.isfinite(v) for v in losses.values()):
        raise TrainingDivergedError(trainer_lib.diverged_message(
            step, losses, trainer.last_checkpoint()))
      printed = progress.step_done(step, lambda: losses[TOTAL_LOSS],
                                   lambda: learning_rate)
      with_images = step == start + 1 or step % trainer.checkpoint_every_n == 0
      trainer.write_summaries(
          step, progress.steps_per_second if printed else None,
          batch if with_images else None)
      result.step, result.losses = step, losses
      saved = None
      if (step % trainer.checkpoint_every_n == 0 or step == trainer.num_steps
          or stop.received):
        saved = trainer.save(step)
      if eval_every_n > 0 and (step % eval_every_n == 0
                               or step == trainer.num_steps):
        saved = saved or trainer.save(step)
        if trainer.chief:
          evaluator = evaluator or evaluation.CheckpointEvaluator(
              trainer.configs, model_dir)
          started = time.perf_counter()
          result.evaluation = evaluator.evaluate(saved, step)
          progress.exclude(time.perf_counter() - started)
          result.evaluation_step = step
          result.best = _update_best(evaluator.primary_metric,
                                     result.evaluation, saved, step,
                                     model_dir, result.best)
      if stop.received:
        result.stopped_by = stop.received
        _LOG.warning("Stopped by %s at step %d; checkpoint %s", stop.received,
                     step, saved)
        break
  result.steps_per_second = progress.steady_steps_per_second(step)
  result.first_step_seconds = progress.first_step_seconds
  return result


def _update_best(metric: str, metrics: Dict[str, float], prefix: str,
                 step: int, model_dir: str, best: Optional[Dict[str, Any]]
                 ) -> Optional[Dict[str, Any]]:
  """Copies `prefix` to model_dir/best when its metric beats `best`."""
  value = metrics.get(metric)
  if value is None or not math.isfinite(value):
    return best
  if best is None or best.get("metric") != metric or value > best["value"]:
    checkpoints.save_best(model_dir, prefix, metric, value, step)
    best = {"metric": metric, "value": value, "step": step}
    _LOG.info("New best checkpoint: %s = %.4f at step %d", metric, value,
              step)
  return best


def eager_eval_loop(detection_model, configs, eval_dataset,
                    use_tpu: bool = False, postprocess_on_cpu: bool = False,
                    global_step=None) -> Dict[str, float]:
  """Evaluates a model on a dataset (the TF OD API's function).

  Args:
    detection_model: a DetectionModel (is_training=False) holding the
      weights to evaluate.
    configs: the configs dict of its pipeline (eval_config.metrics_set and
      the first eval_input_reader's label map are used).
    eval_dataset: batches from inputs.eval_input.
    use_tpu, postprocess_on_cpu: accepted for the TF OD API's signature.
    global_step: unused (summaries are written by CheckpointEvaluator).

  Returns:
    dict metric name -> float: COCO metrics and evaluation losses.
  """
  del use_tpu, postprocess_on_cpu, global_step
  eval_config = configs["eval_config"]
  category_index = evaluation.category_index_for(
      configs["eval_input_configs"][0], detection_model.num_classes)
  evaluators = eval_util.get_evaluators(
      eval_config, list(category_index.values()),
      eval_util.evaluator_options_from_eval_config(eval_config))
  return dict(eval_util.evaluate(detection_model, eval_dataset,
                                 evaluators).metrics)


def eval_continuously(pipeline_config_path: str, config_override=None,
                      train_steps: Optional[int] = None,
                      sample_1_of_n_eval_examples: int = 1,
                      sample_1_of_n_eval_on_train_examples: int = 1,
                      use_tpu: bool = False, override_eval_num_epochs=True,
                      postprocess_on_cpu: bool = False, model_dir=None,
                      checkpoint_dir=None, wait_interval: int = 180,
                      timeout: int = 3600, eval_index: int = 0,
                      overrides: Optional[Mapping[str, Any]] = None,
                      eval_on_train_data: bool = False,
                      **kwargs) -> List[Dict[str, float]]:
  """Evaluates the checkpoints of checkpoint_dir as they appear.

  Waits up to `timeout` seconds for each new checkpoint and stops after
  evaluating one at step >= train_steps (default train_config.num_steps).
  A checkpoint_dir that is a checkpoint prefix (model_dir/ckpt-5) is
  evaluated once.

  Args:
    pipeline_config_path: the pipeline.config.
    config_override: text-format TrainEvalPipelineConfig merged on top.
    train_steps: the last training step; default train_config.num_steps.
    sample_1_of_n_eval_examples: evaluate one example in n.
    sample_1_of_n_eval_on_train_examples: the same with eval_on_train_data.
    use_tpu, postprocess_on_cpu: accepted for the TF OD API's signature.
    override_eval_num_epochs: evaluate one pass (num_epochs: 1).
    model_dir: summaries and metrics_<step>.json go under model_dir/eval.
    checkpoint_dir: the training model_dir, or one checkpoint prefix.
    wait_interval: seconds between looks for a new checkpoint.
    timeout: seconds to wait for a new checkpoint before stopping.
    eval_index: which eval_input_reader.
    overrides: override keys (see load_configs); kwargs too.
    eval_on_train_data: evaluate on the training input instead.

  Returns:
    the metrics of each evaluation, in order.
  """
  del use_tpu, postprocess_on_cpu
  all_overrides = dict(kwargs)
  all_overrides.update(overrides or {})
  all_overrides["sample_1_of_n_eval_examples"] = sample_1_of_n_eval_examples
  if override_eval_num_epochs:
    all_overrides["eval_num_epochs"] = 1
  configs = load_configs(pipeline_config_path, config_override, all_overrides)
  if eval_on_train_data:
    reader = configs["train_input_config"]
    reader.sample_1_of_n_examples = sample_1_of_n_eval_on_train_examples
    if override_eval_num_epochs:
      reader.num_epochs = 1
  checkpoint_dir = checkpoint_dir or model_dir
  model_dir = model_dir or checkpoint_dir
  last_step = train_steps or configs["train_config"].num_steps
  single = None
  if not tf.io.gfile.isdir(checkpoint_dir):
    single = checkpoints.resolve_checkpoint(checkpoint_dir,
                                            "--checkpoint_dir")
  evaluator = evaluation.CheckpointEvaluator(
      configs, model_dir, eval_index=eval_index,
      eval_on_train_data=eval_on_train_data)
  if single:
    return [evaluator.evaluate(single)]
  results = []
  for prefix in tf.train.checkpoints_iterator(
      checkpoint_dir, min_interval_secs=wait_interval, timeout=timeout):
    metrics = evaluator.evaluate(prefix)
    results.append(metrics)
    if last_step and checkpoints.checkpoint_step(prefix) >= last_step:
      _LOG.info("Evaluated the last step (%d); stopping", last_step)
      break
  return results
