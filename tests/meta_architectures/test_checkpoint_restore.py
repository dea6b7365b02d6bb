"""Checkpoint round trips of Mask R-CNN, before and after the first call.

Resuming, evaluating and exporting restore a tf.train.Checkpoint(model=...)
into a freshly built model whose variables do not exist yet: the restore is
deferred until each variable is created. These tests restore a training
checkpoint into a new training model and into an is_training=False model,
before and after that model's first call, and compare EVERY variable with
the saved value. The saved values are the trained model's own values plus a
distinct offset, so no variable (zero biases and unit batch norm variances
included) equals what a fresh model starts with.
"""

import os

import numpy as np
import pytest
import tensorflow as tf

from object_detection.builders import model_builder
from object_detection.data import shapes_dataset
from object_detection.utils import config_util

_REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
_SHAPES_CONFIG = os.path.join(_REPO, "pipelines", "mask_rcnn_shapes.config")
_SIZE = 64


def _build(is_training):
  """The shipped tiny Mask R-CNN (small FPN extractor) on 64x64 inputs."""
  config = config_util.get_configs_from_pipeline_file(_SHAPES_CONFIG)["model"]
  config.faster_rcnn.image_resizer.fixed_shape_resizer.height = _SIZE
  config.faster_rcnn.image_resizer.fixed_shape_resizer.width = _SIZE
  return model_builder.build(config, is_training=is_training)


def _inputs():
  """Two synthetic shapes images and their groundtruth lists."""
  rng = np.random.default_rng(0)
  examples = [shapes_dataset.make_example(
      rng, _SIZE, _SIZE, max_instances=2, min_size=_SIZE // 8,
      max_size=_SIZE * 3 // 8) for _ in range(2)]
  images = tf.constant(np.stack([e.image for e in examples]), tf.float32)
  groundtruth = dict(
      groundtruth_boxes_list=[tf.constant(e.boxes / _SIZE, tf.float32)
                              for e in examples],
      groundtruth_classes_list=[tf.one_hot(e.classes - 1, 3)
                                for e in examples],
      groundtruth_masks_list=[tf.constant(e.masks, tf.float32)
                              for e in examples])
  return images, groundtruth


def _call(model, images, groundtruth):
  """One forward pass (predict; training models also need groundtruth)."""
  model.provide_groundtruth(**groundtruth)
  preprocessed, shapes = model.preprocess(images)
  return model.predict(preprocessed, shapes)


def _values(model):
  """{variable path: numpy value}; fails if two variables share a path."""
  paths = [v.path for v in model.variables]
  assert len(paths) == len(set(paths)), sorted(
      p for p in paths if paths.count(p) > 1)
  return {v.path: v.numpy() for v in model.variables}


def _mismatches(model, saved):
  """Paths whose value differs from the saved one, plus missing/extra."""
  values = _values(model)
  problems = ["missing " + p for p in sorted(set(saved) - set(values))]
  problems += ["extra " + p for p in sorted(set(values) - set(saved))]
  problems += ["differs " + p for p in sorted(set(saved) & set(values))
               if not np.array_equal(values[p], saved[p])]
  return problems


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
  """(path, {variable path: saved value}, inputs) of a training model."""
  inputs = _inputs()
  model = _build(is_training=True)
  _call(model, *inputs)
  rng = np.random.default_rng(1)
  for variable in model.variables:
    # A positive offset in [0.001, 0.01): every value moves away from its
    # initialiser (even constant ones) and variances stay positive.
    variable.assign(variable.numpy() + rng.uniform(
        0.001, 0.01, variable.shape).astype(np.float32))
  saved = _values(model)
  path = tf.train.Checkpoint(model=model).save(
      str(tmp_path_factory.mktemp("ckpt") / "ckpt"))
  return path, saved, inputs


@pytest.mark.parametrize("is_training", [True, False],
                         ids=["train_model", "eval_model"])
@pytest.mark.parametrize("restore_first", [True, False],
                         ids=["restore_then_call", "call_then_restore"])
def test_restore_gives_every_variable_its_saved_value(
    checkpoint, is_training, restore_first):
  path, saved, inputs = checkpoint
  model = _build(is_training=is_training)
  if restore_first:
    status = tf.train.Checkpoint(model=model).restore(path)
    # Only the functional backbone exists; the heads' values are
    # deferred until their variables are created.
    assert len(model.variables) < len(saved)
    _call(model, *inputs)
  else:
    _call(model, *inputs)
    # The check can fail: a fresh model differs from the checkpoint in
    # every variable.
    assert len(_mismatches(model, saved)) == len(saved)
    status = tf.train.Checkpoint(model=model).restore(path)
  status.assert_existing_objects_matched()
  status.assert_consumed()
  assert len(model.variables) == len(saved)
  assert _mismatches(model, saved) == []


def test_restore_before_a_first_call_inside_tf_function(checkpoint):
  """A training loop may trace its step without an eager warm-up call."""
  path, saved, (images, groundtruth) = checkpoint
  model = _build(is_training=True)
  status = tf.train.Checkpoint(model=model).restore(path)

  @tf.function
  def forward():
    return _call(model, images, groundtruth)[
        "rpn_objectness_predictions_with_background"]

  assert np.all(np.isfinite(forward().numpy()))
  status.assert_existing_objects_matched()
  assert _mismatches(model, saved) == []
