"""Evaluating checkpoints: metrics to TensorBoard and to JSON.

    evaluator = CheckpointEvaluator(configs, model_dir)
    metrics = evaluator.evaluate("model_dir/ckpt-1000")

One evaluation model (is_training=False) is built once and every
checkpoint is restored into it (restoring works before the model's first
call). With eval_config.use_moving_averages and a training optimizer that
keeps moving averages, the averages are copied into the model after the
restore. The metrics (COCO box and mask metrics by eval_config.metrics_set,
and the evaluation losses) are written to TensorBoard under
`<model_dir>/eval` (`eval_on_train` for --eval_on_train_data), with
`num_visualizations` side-by-side images, and to
`<that folder>/metrics_<step>.json`, atomically.
"""

import json
import logging
import math
import os
from typing import Dict, Optional

import tensorflow as tf

from object_detection import eval_util
from object_detection import inputs
from object_detection.builders import model_builder
from object_detection.training import checkpoints
from object_detection.training import summaries
from object_detection.utils import config_util
from object_detection.utils import file_io
from object_detection.utils import label_map_util

_LOG = logging.getLogger(__name__)


def category_index_for(input_config, num_classes: int) -> Dict[int, dict]:
  """The category index of an input reader's label map ('class k' without)."""
  label_map = None
  if input_config.label_map_path:
    label_map = label_map_util.load_labelmap(input_config.label_map_path)
  categories = label_map_util.convert_label_map_to_categories(
      label_map, num_classes, use_display_name=True)
  return label_map_util.create_category_index(categories)


def _finite_or_none(value: float) -> Optional[float]:
  return value if math.isfinite(value) else None


def write_metrics_json(directory: str, step: int,
                       metrics: Dict[str, float]) -> str:
  """Writes <directory>/metrics_<step>.json atomically; returns its path.

  Non-finite values (pycocotools gives -1 for an empty size range, losses
  may be NaN) are written as null.
  """
  path = os.path.join(directory, "metrics_%d.json" % step)
  record = {"step": step,
            "metrics": {k: _finite_or_none(float(v))
                        for k, v in sorted(metrics.items())}}
  file_io.write_text_atomically(path, json.dumps(record, indent=2) + "\n")
  return path


class CheckpointEvaluator:
  """Evaluates checkpoints of one pipeline.

  Args:
    configs: the configs dict (config_util) of the pipeline.
    model_dir: where the summaries and JSON go (<model_dir>/eval).
    eval_index: which eval_input_reader to use.
    eval_on_train_data: evaluate on the train_input_reader instead (with
      train_input_reader.sample_1_of_n_examples from the caller).
    max_batches: optional cap on the batches of one evaluation.
  """

  def __init__(self, configs, model_dir: str, eval_index: int = 0,
               eval_on_train_data: bool = False,
               max_batches: Optional[int] = None):
    self._configs = configs
    self._eval_config = configs["eval_config"]
    model_config = configs["model"]
    if eval_on_train_data:
      self._input_config = configs["train_input_config"]
      name = "eval_on_train"
    else:
      readers = configs["eval_input_configs"]
      if eval_index >= len(readers):
        raise ValueError(
            "eval_input_reader[%d]: the pipeline has %d eval_input_reader(s)"
            % (eval_index, len(readers)))
      self._input_config = readers[eval_index]
      name = "eval" if eval_index == 0 else "eval_%d" % eval_index
    self.directory = os.path.join(model_dir, name)
    self._max_batches = max_batches
    num_classes = config_util.get_number_of_classes(model_config)
    self.category_index = category_index_for(self._input_config, num_classes)
    self._evaluators = eval_util.get_evaluators(
        self._eval_config, list(self.category_index.values()),
        eval_util.evaluator_options_from_eval_config(self._eval_config))
    self.primary_metric = eval_util.primary_metric(self._evaluators)
    self._model = model_builder.build(model_config, is_training=False)
    self._dataset = inputs.eval_input(self._eval_config, self._input_config,
                                      model_config, model=self._model)
    self._weights = checkpoints.TrainedWeights(
        self._model, configs["train_config"],
        checkpoints.uses_moving_averages(configs))
    self._built = False
    self._step_fn = None  # traced once, reused for every checkpoint
    self._writer = None

  @property
  def model(self):
    return self._model

  def _restore(self, prefix: str) -> int:
    """Restores the model (and its moving averages); returns the step."""
    if self._weights.averaged:
      self._ensure_built()
    return self._weights.restore(prefix)

  def _ensure_built(self) -> None:
    """One predict creates every variable (the heads build on first call)."""
    if self._built:
      return
    features, _ = next(iter(self._dataset))
    self._model.predict(features["image"], features["true_image_shape"])
    self._built = True

  def evaluate(self, prefix: str, step: Optional[int] = None
               ) -> Dict[str, float]:
    """Restores `prefix`, evaluates, writes TensorBoard and JSON.

    Args:
      prefix: a checkpoint prefix (e.g. model_dir/ckpt-1000).
      step: the step to report; default the checkpoint's own.

    Returns:
      dict metric name -> float.
    """
    restored_step = self._restore(prefix)
    step = restored_step if step is None else step
    if self._step_fn is None:
      self._step_fn = eval_util.make_eval_step(self._model)
    result = eval_util.evaluate(
        self._model, self._dataset, self._evaluators,
        num_visualizations=self._eval_config.num_visualizations,
        max_batches=self._max_batches, batch_fn=self._step_fn)
    metrics = dict(result.metrics)
    if self._writer is None:
      self._writer = tf.summary.create_file_writer(self.directory)
    summaries.write_evaluation(
        self._writer, metrics, result.visualizations, self.category_index,
        step, min_score_thresh=self._eval_config.min_score_threshold,
        max_boxes_to_draw=self._eval_config.max_num_boxes_to_visualize)
    path = write_metrics_json(self.directory, step, metrics)
    _LOG.info("Evaluated %s at step %d on %d images: %s = %.4f (%s)", prefix,
              step, result.num_images, self.primary_metric,
              metrics.get(self.primary_metric, float("nan")), path)
    return metrics
