"""Tests for object_detection/training/train_settings.py."""

import keras
import pytest
from google.protobuf import text_format

from object_detection.protos import train_pb2
from object_detection.training import train_settings


def _config(text=""):
  return text_format.Parse(text, train_pb2.TrainConfig())


@pytest.mark.parametrize("text,replicas,message", [
    ("use_bfloat16: true", 1,
     "train_config.use_bfloat16: bfloat16 training is not implemented"),
    ("batch_size: 6", 4,
     "train_config.batch_size: 6 cannot be split evenly over 4 replicas"),
    ("batch_size: 0", 1, "train_config.batch_size: must be >= 1, got 0"),
    ("gradient_clipping_by_norm: -1", 1,
     "train_config.gradient_clipping_by_norm: must be >= 0"),
    ('fine_tune_checkpoint: "x" fine_tune_checkpoint_type: "segmentation"', 1,
     "train_config.fine_tune_checkpoint_type: 'segmentation' is not "
     "supported; expected one of 'classification', 'detection', 'full'"),
    ('fine_tune_checkpoint: "x" fine_tune_checkpoint_version: V1', 1,
     "train_config.fine_tune_checkpoint_version: V1 (TF1 name-based)"),
])
def test_settings_the_loop_cannot_honour_are_errors(text, replicas, message):
  with pytest.raises(ValueError) as error:
    train_settings.check_train_config(_config(text), replicas)
  assert str(error.value).startswith(message)


def test_tf_od_api_settings_that_are_synchronous_anyway_are_accepted():
  train_settings.check_train_config(_config(
      "batch_size: 8 sync_replicas: true replicas_to_aggregate: 8 "
      "startup_delay_steps: 0 max_number_of_boxes: 100 "
      'fine_tune_checkpoint: "x" load_all_detection_checkpoint_vars: true '
      "unpad_groundtruth_tensors: false"), num_replicas=4)
  # The schema's default version (V1) left unset is read as V2.
  train_settings.check_train_config(_config('fine_tune_checkpoint: "x"'))


@pytest.mark.parametrize("text,expected", [
    ("", ""),
    ('fine_tune_checkpoint: "x"', "classification"),
    ('fine_tune_checkpoint: "x" from_detection_checkpoint: true', "detection"),
    ('fine_tune_checkpoint: "x" fine_tune_checkpoint_type: "full" '
     "from_detection_checkpoint: true", "full"),
])
def test_fine_tune_checkpoint_type(text, expected):
  assert train_settings.fine_tune_checkpoint_type(_config(text)) == expected


@pytest.fixture(scope="module")
def variables():
  layers = [keras.layers.Dense(3, name="a"), keras.layers.Dense(2, name="b")]
  for layer in layers:
    layer.build((None, 4))
  return [v for layer in layers for v in layer.trainable_variables]


def _paths(variables):
  return [v.path for v in variables]


def test_freeze_and_update_trainable_variables(variables):
  assert _paths(variables) == ["a/kernel", "a/bias", "b/kernel", "b/bias"]
  assert _paths(train_settings.trainable_variables(
      _config('freeze_variables: "a/"'), variables)) == ["b/kernel", "b/bias"]
  assert _paths(train_settings.trainable_variables(
      _config('update_trainable_variables: ".*kernel"'), variables)) == [
          "a/kernel", "b/kernel"]
  assert _paths(train_settings.trainable_variables(
      _config('update_trainable_variables: "b" freeze_variables: "b/bias"'),
      variables)) == ["b/kernel"]
  assert train_settings.bias_variable_indices(variables) == [1, 3]


@pytest.mark.parametrize("text,message", [
    ('freeze_variables: "c/"',
     "train_config.freeze_variables[0]: 'c/' matches no trainable variable; "
     "variables look like 'a/kernel', 'a/bias', 'b/kernel'"),
    ('update_trainable_variables: "a" update_trainable_variables: "("',
     "train_config.update_trainable_variables[1]: '(' is not a valid regular "
     "expression"),
    ('freeze_variables: ".*"',
     "train_config.freeze_variables: no trainable variable is left"),
])
def test_bad_variable_patterns(variables, text, message):
  with pytest.raises(ValueError) as error:
    train_settings.trainable_variables(_config(text), variables)
  assert str(error.value).startswith(message)
