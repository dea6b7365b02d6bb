import io
import os

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from object_detection.core.standard_fields import TfExampleFields as fields
from object_detection.data import shapes_dataset
from object_detection.data import tf_example_writer


def _decode_png(data: bytes) -> np.ndarray:
  return np.array(PIL.Image.open(io.BytesIO(data)))


def test_example_round_trips_through_tfrecord_shards(tmp_path):
  rng = np.random.default_rng(0)
  originals = [shapes_dataset.make_example(rng, 32, 48, min_size=6,
                                           max_size=12) for _ in range(3)]
  examples = [tf_example_writer.encode_detection_example(
      e.image, e.boxes, e.classes, shapes_dataset.CLASS_NAMES, "img%d" % i,
      e.masks) for i, e in enumerate(originals)]
  paths = tf_example_writer.write_tfrecord_shards(
      examples, str(tmp_path / "sub" / "train"), num_shards=2)
  assert [p.rsplit("/", 1)[1] for p in paths] == [
      "train-00000-of-00002.tfrecord", "train-00001-of-00002.tfrecord"]
  assert not list(tmp_path.glob("sub/*.tmp"))
  # Round robin: examples 0 and 2 in shard 0, example 1 in shard 1.
  records = [list(tf.data.TFRecordDataset(p).as_numpy_iterator()) for p in paths]
  assert [len(r) for r in records] == [2, 1]
  parsed = tf.train.Example.FromString(records[1][0]).features.feature
  original = originals[1]
  np.testing.assert_array_equal(
      _decode_png(parsed[fields.image_encoded].bytes_list.value[0]),
      original.image)
  assert parsed[fields.height].int64_list.value == [32]
  assert parsed[fields.width].int64_list.value == [48]
  np.testing.assert_allclose(parsed[fields.object_bbox_ymin].float_list.value,
                             original.boxes[:, 0] / 32, rtol=1e-6)
  np.testing.assert_allclose(parsed[fields.object_bbox_xmax].float_list.value,
                             original.boxes[:, 3] / 48, rtol=1e-6)
  assert list(parsed[fields.object_class_label].int64_list.value) == (
      original.classes.tolist())
  assert [t.decode() for t in parsed[fields.object_class_text].bytes_list.value
         ] == [shapes_dataset.CLASS_NAMES[c] for c in original.classes]
  masks = [_decode_png(m) for m in parsed[fields.object_mask].bytes_list.value]
  np.testing.assert_array_equal(np.stack(masks), original.masks)
  assert parsed[fields.source_id].bytes_list.value == [b"img1"]


def test_mismatched_annotations_are_rejected():
  image = np.zeros((8, 8, 3), np.uint8)
  with pytest.raises(ValueError, match="got 2 boxes but 1 classes"):
    tf_example_writer.encode_detection_example(
        image, np.zeros((2, 4)), [1], {1: "a"}, "x")
  with pytest.raises(ValueError, match=r"masks must have shape \(1, 8, 8\)"):
    tf_example_writer.encode_detection_example(
        image, np.zeros((1, 4)), [1], {1: "a"}, "x",
        masks=np.zeros((1, 4, 4), np.uint8))


def test_an_error_while_writing_leaves_no_shard_and_keeps_earlier_ones(
    tmp_path):
  prefix = str(tmp_path / "coco_train.record")
  example = tf.train.Example()
  earlier = tf_example_writer.write_tfrecord_shards([example] * 3, prefix, 2,
                                                    extension="")
  assert [os.path.basename(p) for p in earlier] == [
      "coco_train.record-00000-of-00002", "coco_train.record-00001-of-00002"]

  def failing():
    yield example
    raise ValueError("bad annotation")

  with pytest.raises(ValueError, match="bad annotation"):
    tf_example_writer.write_tfrecord_shards(failing(), prefix, 2,
                                            extension="")
  assert sorted(os.listdir(str(tmp_path))) == [os.path.basename(p)
                                               for p in earlier]
  assert sum(1 for _ in tf.data.TFRecordDataset(earlier)) == 3
