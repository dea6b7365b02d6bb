"""Tests for object_detection/training/evaluation.py: one in-process run
of model_lib_v2.train_loop with moving averages, then CheckpointEvaluator
(and the exporter, which uses the same averaged weights)."""

import json
import os

import numpy as np
import pytest
import tensorflow as tf

from object_detection import exporter_lib_v2
from object_detection import inputs
from object_detection import model_lib_v2
from object_detection.builders import model_builder
from object_detection.builders import optimizer_builder
from object_detection.training import evaluation
from object_detection.training import train_step
from object_detection.utils import config_util
from tests.conftest import REPO_ROOT
from tests.conftest import write_shapes_records


@pytest.fixture(scope="module")
def run(tmp_path_factory):
  directory = str(tmp_path_factory.mktemp("ema"))
  train = write_shapes_records(directory, "train", 2, 0)
  val = write_shapes_records(directory, "val", 2, 1)
  overrides = {
      "train_input_path": train, "eval_input_path": val,
      "label_map_path": os.path.join(REPO_ROOT, "pipelines",
                                     "shapes_label_map.pbtxt"),
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": 64,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": 64,
      "train_config.batch_size": 2,
      "train_config.optimizer.use_moving_average": True,
      "train_config.optimizer.moving_average_decay": 0.5,
      "eval_config.use_moving_averages": True,
      "eval_config.num_visualizations": 1,
  }
  model_dir = os.path.join(directory, "model")
  result = model_lib_v2.train_loop(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"),
      model_dir, train_steps=3, checkpoint_every_n=3, overrides=overrides,
      record_summaries=False)
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(model_dir, "pipeline.config"))
  return configs, model_dir, result


def _trained_model_values(configs, prefix, averaged):
  """Variable values of a training model restored from prefix, by path."""
  model = model_builder.build(configs["model"], is_training=True)
  features, labels = next(iter(inputs.train_input(
      configs["train_config"], configs["train_input_config"],
      configs["model"], model=model)))
  train_step.provide_groundtruth(model, labels)
  model.predict(features["image"], features["true_image_shape"])
  variables = model.trainable_variables
  optimizer, _ = optimizer_builder.build(configs["train_config"].optimizer)
  optimizer.build(variables)
  tf.train.Checkpoint(model=model, optimizer=optimizer).restore(
      prefix).expect_partial()
  if averaged:
    optimizer.finalize_variable_values(variables)
  return {v.path: v.numpy() for v in model.trainable_variables}


def test_evaluation_uses_the_moving_averages(run):
  configs, model_dir, result = run
  assert result.step == 3 and result.stopped_by == ""
  prefix = os.path.join(model_dir, "ckpt-3")
  evaluator = evaluation.CheckpointEvaluator(configs, model_dir)
  metrics = evaluator.evaluate(prefix)
  assert np.isfinite(metrics["Loss/total_loss"])
  evaluated = {v.path: v.numpy() for v in evaluator.model.trainable_variables}
  averaged = _trained_model_values(configs, prefix, averaged=True)
  raw = _trained_model_values(configs, prefix, averaged=False)
  assert sorted(evaluated) == sorted(averaged)
  for path, value in evaluated.items():
    np.testing.assert_allclose(value, averaged[path], rtol=1e-6, atol=1e-7,
                               err_msg=path)
  differing = [p for p in raw if not np.allclose(raw[p], averaged[p])]
  assert len(differing) > len(raw) // 2
  with open(os.path.join(model_dir, "eval", "metrics_3.json")) as f:
    record = json.load(f)
  assert record["step"] == 3
  assert record["metrics"]["Loss/total_loss"] == pytest.approx(
      metrics["Loss/total_loss"])


def test_export_uses_the_moving_averages(run, tmp_path):
  configs, model_dir, _ = run
  exporter_lib_v2.export_inference_graph(
      "image_tensor", config_util.create_pipeline_proto_from_configs(configs),
      model_dir, str(tmp_path))
  exported = model_builder.build(configs["model"], is_training=False)
  exported.predict(*exported.preprocess(tf.zeros([1, 64, 64, 3])))
  tf.train.Checkpoint(model=exported).restore(
      os.path.join(str(tmp_path), "checkpoint", "ckpt-0")).assert_consumed()
  prefix = os.path.join(model_dir, "ckpt-3")
  averaged = _trained_model_values(configs, prefix, averaged=True)
  raw = _trained_model_values(configs, prefix, averaged=False)
  values = {v.path: v.numpy() for v in exported.trainable_variables}
  assert sorted(values) == sorted(averaged)
  for path, value in values.items():
    np.testing.assert_allclose(value, averaged[path], rtol=1e-6, atol=1e-7,
                               err_msg=path)
  assert any(not np.allclose(raw[p], values[p]) for p in values)
