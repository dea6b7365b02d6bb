"""Tests for object_detection/training/trainer.py: resume and fine-tune
restore on a tiny shapes pipeline, in process."""

import os

import numpy as np
import pytest

from object_detection import model_lib_v2
from object_detection.training import trainer as trainer_lib
from tests.conftest import REPO_ROOT
from tests.conftest import write_shapes_records

SHAPES = os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config")


@pytest.fixture(scope="module")
def overrides(tmp_path_factory):
  directory = str(tmp_path_factory.mktemp("trainer"))
  return {
      "train_input_path": write_shapes_records(directory, "train", 2, 0),
      "label_map_path": os.path.join(REPO_ROOT, "pipelines",
                                     "shapes_label_map.pbtxt"),
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": 64,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": 64,
      "train_config.batch_size": 2,
  }


def _trainer(overrides, model_dir, **extra):
  configs = model_lib_v2.load_configs(SHAPES, None, dict(overrides, **extra))
  return trainer_lib.Trainer(configs, model_dir, num_steps=10,
                             checkpoint_every_n=10, checkpoint_max_to_keep=2,
                             record_summaries=False, seed=None)


def _values(model, prefix=""):
  return {v.path: v.numpy() for v in model.trainable_variables
          if v.path.startswith(prefix)}


@pytest.fixture(scope="module")
def source(overrides, tmp_path_factory):
  """A model trained one step and saved as ckpt-1."""
  model_dir = str(tmp_path_factory.mktemp("source"))
  trainer = _trainer(overrides, model_dir)
  assert trainer.restore() == 0
  trainer.step_fn(*trainer.next_batch())
  prefix = trainer.save(1)
  return prefix, trainer


def test_resume_restores_every_variable_and_the_step(overrides, source,
                                                     tmp_path):
  prefix, trained = source
  resumed = _trainer(overrides, os.path.dirname(prefix))
  assert resumed.restore() == 1
  expected = _values(trained.model)
  got = _values(resumed.model)
  assert sorted(got) == sorted(expected)
  for path, value in got.items():
    np.testing.assert_array_equal(value, expected[path], err_msg=path)


def test_detection_fine_tune_restores_the_feature_extractors_only(
    overrides, source, tmp_path):
  prefix, trained = source
  tuned = _trainer(overrides, str(tmp_path), **{
      "train_config.fine_tune_checkpoint": prefix,
      "train_config.fine_tune_checkpoint_type": "detection"})
  assert tuned.restore() == 0  # a new run: the step is not restored
  expected, got = _values(trained.model), _values(tuned.model)
  extractor = [p for p in got if p.startswith("SecondStageFeatureExtractor/")
               or p.startswith("stem_")]
  heads = [p for p in got if p.startswith("FirstStageBoxPredictor/")]
  assert extractor and heads
  for path in extractor:
    np.testing.assert_array_equal(got[path], expected[path], err_msg=path)
  assert not any(np.array_equal(got[p], expected[p]) for p in heads)


def test_a_missing_fine_tune_checkpoint_names_the_field(overrides, tmp_path):
  trainer = _trainer(overrides, str(tmp_path / "run"), **{
      "train_config.fine_tune_checkpoint": str(tmp_path / "nope" / "ckpt-3")})
  with pytest.raises(ValueError, match=r"^train_config\.fine_tune_checkpoint: "
                     r".*is not a checkpoint \(no ckpt-3\.index\)"):
    trainer.restore()
