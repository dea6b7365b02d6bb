"""Tests for object_detection/training/distribution.py (one machine; the
two-worker run is in tests/test_model_main.py)."""

import json
import os

import pytest
import tensorflow as tf

from object_detection.training import distribution


def test_one_machine_is_mirrored_and_chief(monkeypatch):
  monkeypatch.delenv("TF_CONFIG", raising=False)
  strategy = distribution.build_strategy()
  assert isinstance(strategy, tf.distribute.MirroredStrategy)
  assert strategy.num_replicas_in_sync == max(
      1, len(tf.config.list_logical_devices("GPU")))
  assert distribution.is_chief(strategy)
  assert distribution.task(strategy) == (None, None)


@pytest.mark.parametrize("tf_config,message", [
    (None, "--num_workers=2 needs the TF_CONFIG environment variable"),
    ("{not json", "TF_CONFIG is not valid JSON"),
    (json.dumps({"cluster": {"worker": ["a:1", "b:2", "c:3"]},
                 "task": {"type": "worker", "index": 0}}),
     "--num_workers=2 but TF_CONFIG's cluster has 3 workers"),
    (json.dumps({"cluster": {"worker": ["a:1", "b:2"]}}),
     "TF_CONFIG has no 'task'"),
])
def test_multi_worker_needs_a_consistent_tf_config(monkeypatch, tf_config,
                                                   message):
  if tf_config is None:
    monkeypatch.delenv("TF_CONFIG", raising=False)
  else:
    monkeypatch.setenv("TF_CONFIG", tf_config)
  with pytest.raises(distribution.DistributionError) as error:
    distribution.build_strategy(num_workers=2)
  assert str(error.value).startswith(message)


def test_bad_worker_count():
  with pytest.raises(ValueError, match="--num_workers must be >= 1, got 0"):
    distribution.build_strategy(num_workers=0)


def test_no_tpu_is_a_clear_error():
  with pytest.raises(distribution.DistributionError,
                     match="^--use_tpu: no TPU reachable named 'nowhere'"):
    distribution.build_strategy(use_tpu=True, tpu_name="nowhere")


def test_write_directory_of_a_non_chief_is_temporary(tmp_path):
  chief = distribution.WriteDirectory(str(tmp_path), chief=True)
  assert chief.path == str(tmp_path)
  chief.cleanup()
  assert os.path.isdir(str(tmp_path))
  worker = distribution.WriteDirectory(str(tmp_path), chief=False)
  assert worker.path != str(tmp_path) and os.path.isdir(worker.path)
  worker.cleanup()
  assert not os.path.exists(worker.path)
