"""tf.distribute strategies for model_main, and which worker writes.

    strategy = distribution.build_strategy(num_workers=1)
    with strategy.scope():
      ...
    if distribution.is_chief(strategy): ...

One machine: MirroredStrategy over every visible GPU, or the CPU when there
is none. Several workers (`num_workers > 1`): MultiWorkerMirroredStrategy,
its cluster read from the TF_CONFIG environment variable, which must then
exist and name that many workers. `use_tpu`: TPUStrategy on the TPU named
by `tpu_name` (or the local one), with a clear error when none answers.
"""

import json
import os
import shutil
import tempfile

import tensorflow as tf


class DistributionError(ValueError):
  """A strategy cannot be set up from the flags and the environment."""


def _tf_config() -> dict:
  text = os.environ.get("TF_CONFIG", "")
  if not text:
    return {}
  try:
    config = json.loads(text)
  except ValueError as error:
    raise DistributionError("TF_CONFIG is not valid JSON: %s" % error) from None
  if not isinstance(config, dict):
    raise DistributionError("TF_CONFIG must be a JSON object, got %r" % text)
  return config


def _check_cluster(num_workers: int) -> None:
  config = _tf_config()
  if not config:
    raise DistributionError(
        "--num_workers=%d needs the TF_CONFIG environment variable (the "
        "cluster and this worker's task), e.g. TF_CONFIG='{\"cluster\": "
        "{\"worker\": [\"host1:port\", \"host2:port\"]}, \"task\": "
        "{\"type\": \"worker\", \"index\": 0}}'" % num_workers)
  cluster = config.get("cluster", {})
  count = len(cluster.get("worker", [])) + len(cluster.get("chief", []))
  if count != num_workers:
    raise DistributionError(
        "--num_workers=%d but TF_CONFIG's cluster has %d workers (chief "
        "included)" % (num_workers, count))
  if "task" not in config:
    raise DistributionError("TF_CONFIG has no 'task' (this worker's type "
                            "and index)")


def _tpu_strategy(tpu_name: str) -> tf.distribute.Strategy:
  try:
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(
        tpu=tpu_name or None)
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
  except (ValueError, RuntimeError, OSError, tf.errors.OpError) as error:
    raise DistributionError(
        "--use_tpu: no TPU reachable%s: %s" % (
            " named %r" % tpu_name if tpu_name else "",
            str(error).splitlines()[0] if str(error) else type(error).__name__)
    ) from None
  return tf.distribute.TPUStrategy(resolver)


def build_strategy(num_workers: int = 1, use_tpu: bool = False,
                   tpu_name: str = "") -> tf.distribute.Strategy:
  """The strategy for the flags (see the module docstring).

  Raises:
    DistributionError: num_workers < 1, TF_CONFIG missing or inconsistent,
      or no TPU reachable.
  """
  if num_workers < 1:
    raise DistributionError("--num_workers must be >= 1, got %d" % num_workers)
  if use_tpu:
    return _tpu_strategy(tpu_name)
  if num_workers > 1:
    _check_cluster(num_workers)
    return tf.distribute.MultiWorkerMirroredStrategy()
  gpus = tf.config.list_logical_devices("GPU")
  devices = [d.name for d in gpus] or ["/cpu:0"]
  return tf.distribute.MirroredStrategy(devices)


def task(strategy: tf.distribute.Strategy):
  """(task_type, task_id) of this worker, (None, None) on one machine."""
  resolver = getattr(strategy, "cluster_resolver", None)
  if resolver is None or not resolver.cluster_spec().as_dict():
    return None, None
  return resolver.task_type, resolver.task_id


def is_chief(strategy: tf.distribute.Strategy) -> bool:
  """Whether this worker writes checkpoints and summaries.

  The chief is task 'chief', or worker 0 when the cluster has no chief.
  """
  task_type, task_id = task(strategy)
  if task_type is None:
    return True
  if task_type == "chief":
    return True
  cluster = strategy.cluster_resolver.cluster_spec().as_dict()
  return task_type == "worker" and task_id == 0 and "chief" not in cluster


class WriteDirectory:
  """Where a worker writes: the real folder on the chief, else a temporary
  folder removed by `cleanup()` (MultiWorkerMirroredStrategy needs every
  worker to take part in a save)."""

  def __init__(self, directory: str, chief: bool, strategy=None):
    self._chief = chief
    if chief:
      self.path = directory
    else:
      _, task_id = task(strategy) if strategy is not None else (None, None)
      self.path = tempfile.mkdtemp(prefix="worker%s_" % task_id)

  def cleanup(self) -> None:
    if not self._chief:
      shutil.rmtree(self.path, ignore_errors=True)
