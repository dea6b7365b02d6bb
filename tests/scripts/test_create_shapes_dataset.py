import os
import subprocess
import sys

import numpy as np
import PIL.Image
import tensorflow as tf

from object_detection.core.standard_fields import TfExampleFields
from tests.conftest import REPO_ROOT

SCRIPT = os.path.join(REPO_ROOT, "scripts", "create_shapes_dataset.py")


def test_writes_shards_and_preview(tmp_path):
  preview = tmp_path / "preview" / "first.png"
  result = subprocess.run(
      [sys.executable, SCRIPT, "--output_dir=%s" % tmp_path, "--num_train=6",
       "--num_val=2", "--image_size=48", "--preview_png=%s" % preview],
      capture_output=True, text=True, check=False)
  assert result.returncode == 0, result.stderr
  names = sorted(os.listdir(tmp_path))
  assert names == ["preview"] + [
      "train-0000%d-of-00004.tfrecord" % i for i in range(4)] + [
          "val-00000-of-00001.tfrecord"]
  counts = [sum(1 for _ in tf.data.TFRecordDataset(str(tmp_path / n)))
            for n in names[1:]]
  assert counts == [2, 2, 1, 1, 2]  # 6 train images round robin, 2 val
  image = np.array(PIL.Image.open(preview))
  assert image.shape == (48, 48, 3)
  # The preview is the first validation record's image.
  record = next(iter(tf.data.TFRecordDataset(
      str(tmp_path / "val-00000-of-00001.tfrecord"))))
  encoded = tf.train.Example.FromString(record.numpy()).features.feature[
      TfExampleFields.image_encoded].bytes_list.value[0]
  np.testing.assert_array_equal(tf.io.decode_png(encoded).numpy(), image)


def test_bad_output_dir_exits_2_with_one_line(tmp_path):
  blocker = tmp_path / "file"
  blocker.write_text("not a folder")
  result = subprocess.run(
      [sys.executable, SCRIPT, "--output_dir=%s/sub" % blocker,
       "--num_train=1", "--num_val=1"], capture_output=True, text=True,
      check=False)
  assert result.returncode == 2
  last = result.stderr.strip().splitlines()[-1]
  assert last.startswith("create_shapes_dataset: ")
  assert "Traceback" not in result.stderr


def _shard_bytes(directory):
  return {name: (directory / name).read_bytes()
          for name in sorted(os.listdir(directory))}


def test_the_same_seed_writes_the_same_files(tmp_path):
  runs = {}
  for name, seed in (("a", 5), ("b", 5), ("c", 6)):
    result = subprocess.run(
        [sys.executable, SCRIPT, "--output_dir=%s" % (tmp_path / name),
         "--num_train=4", "--num_val=2", "--image_size=48",
         "--seed=%d" % seed], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    runs[name] = _shard_bytes(tmp_path / name)
  assert runs["a"] == runs["b"]
  assert sorted(runs["a"]) == sorted(runs["c"])
  assert all(runs["a"][n] != runs["c"][n] for n in runs["a"])
