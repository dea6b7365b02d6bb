"""Tests for inspect_tf_record and record_stats on shapes records the test
writes (whose classes and boxes it knows)."""

import collections
import glob
import os
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest

from object_detection.dataset_tools import record_stats
from tests.conftest import REPO_ROOT
from tests.conftest import shapes_examples
from tests.conftest import write_examples

SIZE = 64


@pytest.fixture(scope="module")
def records(tmp_path_factory):
  """(shard paths, the examples written) of 5 examples in 2 shards."""
  examples = shapes_examples(5, seed=3, size=SIZE, max_instances=3)
  pattern = write_examples(examples,
                           str(tmp_path_factory.mktemp("inspect") / "train"),
                           "train", num_shards=2)
  return sorted(glob.glob(pattern)), examples


def test_stats_count_classes_boxes_and_keys(records):
  paths, examples = records
  stats = record_stats.RecordStats()
  for path, _, example in record_stats.read_examples(paths):
    stats.add(path, example)
  assert stats.num_records == 5
  assert list(stats.records_per_file.values()) == [3, 2]
  expected = collections.Counter(int(c) for e in examples for c in e.classes)
  assert stats.classes == expected
  assert stats.keys["image/object/mask"] == 5
  assert stats.key_kinds["image/height"] == "int64_list"
  boxes = np.concatenate([e.boxes for e in examples])
  widths = sorted(boxes[:, 3] - boxes[:, 1])
  np.testing.assert_allclose(sorted(stats.box_widths), widths, atol=1e-3)
  assert stats.instances_per_image == [len(e.classes) for e in
                                       (examples[0], examples[2],
                                        examples[4], examples[1],
                                        examples[3])]
  report = stats.report({1: "square"})
  assert "5 records in 2 file(s)" in report
  assert "  %6d  1 square" % expected[1] in report
  assert "image sizes (width x height, most common): 64x64 (5)" in report


def test_read_examples_stops_at_max_records(records):
  paths, _ = records
  assert len(list(record_stats.read_examples(paths, max_records=4))) == 4


def _inspect(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run(
      [sys.executable, os.path.join(REPO_ROOT, "scripts",
                                    "inspect_tf_record.py")] + list(flags),
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=240, env=env,
      check=False)


def test_inspect_prints_and_draws_the_sample(records, tmp_path):
  paths, examples = records
  sample = str(tmp_path / "sample.png")
  result = _inspect("--input=" + os.path.join(os.path.dirname(paths[0]),
                                              "train-*"),
                    "--label_map_path=" + os.path.join(
                        REPO_ROOT, "pipelines", "shapes_label_map.pbtxt"),
                    "--sample_png=" + sample, "--sample_index=1")
  assert result.returncode == 0, result.stderr
  assert "5 records in 2 file(s)" in result.stdout
  assert "records with instance masks: 5" in result.stdout
  # Record 1 is the second of the first shard: example 2 (round robin).
  example = examples[2]
  drawn = np.array(PIL.Image.open(sample))
  assert drawn.shape == example.image.shape
  inside = np.zeros([SIZE, SIZE], bool)
  for ymin, xmin, ymax, xmax in example.boxes:
    # The box, its outline and the label above it.
    inside[max(0, int(ymin) - 14):int(np.ceil(ymax)) + 14,
           max(0, int(xmin) - 2):int(np.ceil(xmax)) + 45] = True
  changed = (drawn != example.image).any(axis=2)
  assert changed[~inside].sum() == 0
  assert changed[inside].any()


def test_a_corrupt_record_is_one_line_and_status_2(records, tmp_path):
  paths, _ = records
  broken = tmp_path / "broken.tfrecord"
  with open(paths[0], "rb") as f:
    data = f.read()
  broken.write_bytes(data[:len(data) - 10])
  result = _inspect("--input=" + str(broken))
  assert result.returncode == 2
  last = result.stderr.strip().splitlines()[-1]
  assert last.startswith("inspect_tf_record: error: %s: record 2 is corrupt"
                         % broken), last
  result = _inspect("--input=" + str(tmp_path / "none-*"))
  assert result.returncode == 2
  assert "no such file" in result.stderr.strip().splitlines()[-1]
