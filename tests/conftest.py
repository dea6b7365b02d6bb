"""Shared pytest fixtures.

The TF OD API sample configs live in ../shared/upstream-configs beside the
checkout; tests that read them skip cleanly when that folder is absent.
"""

import glob
import os

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UPSTREAM_CONFIGS_DIR = os.path.join(
    os.path.dirname(REPO_ROOT), "shared", "upstream-configs")


def upstream_files(pattern: str) -> list:
  """Sorted paths under ../shared/upstream-configs matching a glob pattern.

  Empty when the folder is absent; use with `upstream_params` so that the
  parametrised test is skipped (not silently passed) in that case.
  """
  return sorted(glob.glob(os.path.join(UPSTREAM_CONFIGS_DIR, pattern)))


def upstream_params(pattern: str) -> list:
  """pytest params, one per upstream file, or one skipped param if none."""
  files = upstream_files(pattern)
  if not files:
    return [pytest.param(None, marks=pytest.mark.skip(
        reason="../shared/upstream-configs is absent"))]
  return [pytest.param(f, id=os.path.basename(f)) for f in files]


@pytest.fixture
def upstream_configs_dir() -> str:
  if not os.path.isdir(UPSTREAM_CONFIGS_DIR):
    pytest.skip("../shared/upstream-configs is absent")
  return UPSTREAM_CONFIGS_DIR


def shapes_examples(count: int, seed: int, size: int = 64,
                    max_instances: int = 2, min_size: int = 12,
                    max_size: int = 28) -> list:
  """`count` size x size shapes examples (image, boxes, classes, masks)."""
  import numpy as np  # pylint: disable=g-import-not-at-top
  from object_detection.data import shapes_dataset  # pylint: disable=g-import-not-at-top
  rng = np.random.default_rng(seed)
  return [shapes_dataset.make_example(rng, size, size,
                                      max_instances=max_instances,
                                      min_size=min_size, max_size=max_size)
          for _ in range(count)]


def write_examples(examples, prefix: str, id_prefix: str,
                   num_shards: int = 1) -> str:
  """Writes shapes examples as TFRecords (source ids id_prefix + index).

  Returns:
    The glob pattern of the shards, e.g. <prefix>-?????-of-00002.tfrecord.
  """
  from object_detection.data import shapes_dataset  # pylint: disable=g-import-not-at-top
  from object_detection.data import tf_example_writer  # pylint: disable=g-import-not-at-top
  tf_example_writer.write_tfrecord_shards(
      (tf_example_writer.encode_detection_example(
          e.image, e.boxes, e.classes, shapes_dataset.CLASS_NAMES,
          "%s%d" % (id_prefix, i), e.masks) for i, e in enumerate(examples)),
      prefix, num_shards=num_shards)
  return prefix + "-?????-of-%05d.tfrecord" % num_shards


def write_shapes_records(directory: str, name: str, count: int, seed: int,
                         size: int = 64, num_shards: int = 1) -> str:
  """Writes `count` shapes examples (with masks) to <directory>/<name>-*.

  Returns:
    The glob pattern of the shards.
  """
  return write_examples(shapes_examples(count, seed, size),
                        os.path.join(directory, name), name, num_shards)
