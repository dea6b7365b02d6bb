"""Tests for the COCO converter (object_detection/dataset_tools/): a small
COCO-format file the test writes (polygon, crowd RLE and compressed RLE
masks, non-contiguous category ids, PNG and JPEG images) converted by the
real entry point and read back with the project's tf.Example decoder."""

import copy
import glob
import json
import os
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
from pycocotools import mask as mask_util
import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.data_decoders import tf_example_decoder
from object_detection.dataset_tools import coco_conversion
from object_detection.protos import input_reader_pb2
from object_detection.utils import label_map_util
from tests.conftest import REPO_ROOT

CATEGORIES = [{"id": 1, "name": "cat"}, {"id": 3, "name": "dog"}]
_INPUTS = fields.InputDataFields


def _uncompressed_rle(mask):
  """COCO's crowd layout: run lengths in column-major order, 0s first."""
  flat = mask.flatten(order="F")
  counts, current, run = [], 0, 0
  for value in flat:
    if value == current:
      run += 1
    else:
      counts.append(run)
      current, run = value, 1
  counts.append(run)
  return {"size": list(mask.shape), "counts": counts}


def _compressed_rle(mask):
  rle = mask_util.encode(np.asfortranarray(mask))
  return {"size": rle["size"], "counts": rle["counts"].decode("ascii")}


@pytest.fixture(scope="module")
def coco(tmp_path_factory):
  """(annotations dict, image dir, the masks the RLEs encode)."""
  directory = tmp_path_factory.mktemp("coco")
  image_dir = directory / "images"
  image_dir.mkdir()
  rng = np.random.default_rng(0)
  PIL.Image.fromarray(rng.integers(0, 255, (48, 64, 3), np.uint8)).save(
      image_dir / "a.png")
  PIL.Image.fromarray(rng.integers(0, 255, (40, 40, 3), np.uint8)).save(
      image_dir / "b.png")
  PIL.Image.fromarray(rng.integers(0, 255, (32, 32, 3), np.uint8)).save(
      image_dir / "c.jpg", format="JPEG")
  crowd = np.zeros([48, 64], np.uint8)
  crowd[30:40, 40:60] = 1
  blob = np.zeros([40, 40], np.uint8)
  blob[5:15, 20:35] = 1
  blob[10:12, 25:27] = 0
  annotations = {
      "images": [
          {"id": 11, "file_name": "a.png", "height": 48, "width": 64},
          {"id": 12, "file_name": "b.png", "height": 40, "width": 40},
          {"id": 13, "file_name": "c.jpg", "height": 32, "width": 32}],
      "categories": CATEGORIES,
      "annotations": [
          {"id": 1, "image_id": 11, "category_id": 1, "iscrowd": 0,
           "bbox": [10, 5, 20, 20], "area": 400.0,
           "segmentation": [[10, 5, 30, 5, 30, 25, 10, 25]]},
          {"id": 2, "image_id": 11, "category_id": 3, "iscrowd": 1,
           "bbox": [40, 30, 20, 10], "area": 200.0,
           "segmentation": _uncompressed_rle(crowd)},
          {"id": 3, "image_id": 12, "category_id": 1, "iscrowd": 0,
           "bbox": [20, 5, 15, 10], "area": float(blob.sum()),
           "segmentation": _compressed_rle(blob)},
          {"id": 4, "image_id": 12, "category_id": 3, "iscrowd": 0,
           "bbox": [3, 3, 0, 4], "area": 0.0,
           "segmentation": [[3, 3, 3, 7, 3, 5]]}],
  }
  return annotations, str(image_dir), {2: crowd, 3: blob}


def _write(annotations, path):
  with open(path, "w") as f:
    json.dump(annotations, f)
  return str(path)


def _convert(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run(
      [sys.executable, os.path.join(REPO_ROOT, "scripts",
                                    "create_coco_tf_record.py")]
      + list(flags), cwd=REPO_ROOT, capture_output=True, text=True,
      timeout=240, env=env, check=False)


def _decoded(pattern):
  decoder = tf_example_decoder.TfExampleDecoder(
      load_instance_masks=True,
      instance_mask_type=input_reader_pb2.PNG_MASKS)
  records = [r for path in sorted(glob.glob(pattern))
             for r in tf.data.TFRecordDataset(path).as_numpy_iterator()]
  return {
      int(tf.train.Example.FromString(r).features.feature[
          "image/source_id"].bytes_list.value[0]):
      (tf.train.Example.FromString(r),
       {k: v.numpy() for k, v in decoder.decode(tf.constant(r)).items()})
      for r in records}


@pytest.fixture(scope="module")
def converted(coco, tmp_path_factory):
  annotations, image_dir, _ = coco
  directory = tmp_path_factory.mktemp("records")
  path = _write(annotations, directory / "instances.json")
  output = str(directory / "out")
  result = _convert("--train_annotations_file=" + path,
                    "--train_image_dir=" + image_dir,
                    "--val_annotations_file=" + path,
                    "--val_image_dir=" + image_dir, "--include_masks",
                    "--train_num_shards=2", "--val_num_shards=1",
                    "--output_dir=" + output)
  assert result.returncode == 0, result.stderr
  return output, result.stdout


def test_shards_label_map_and_summary(converted):
  output, stdout = converted
  assert sorted(os.listdir(output)) == [
      "coco_train.record-00000-of-00002", "coco_train.record-00001-of-00002",
      "coco_val.record-00000-of-00001", "label_map.pbtxt"]
  assert ("train: 3 images, 3 objects (1 crowd; 1 zero-size boxes skipped)"
          in stdout)
  index = label_map_util.create_category_index_from_labelmap(
      os.path.join(output, "label_map.pbtxt"), use_display_name=True)
  assert index == {1: {"id": 1, "name": "cat"}, 3: {"id": 3, "name": "dog"}}


def test_records_round_trip_boxes_classes_and_masks(coco, converted):
  annotations, image_dir, masks = coco
  output, _ = converted
  records = _decoded(os.path.join(output, "coco_train.record-*"))
  assert sorted(records) == [11, 12, 13]

  example, decoded = records[11]
  feature = example.features.feature
  with open(os.path.join(image_dir, "a.png"), "rb") as f:
    assert feature["image/encoded"].bytes_list.value[0] == f.read()
  assert feature["image/filename"].bytes_list.value[0] == b"a.png"
  assert feature["image/format"].bytes_list.value[0] == b"png"
  assert len(feature["image/key/sha256"].bytes_list.value[0]) == 64
  np.testing.assert_allclose(decoded[_INPUTS.groundtruth_boxes], [
      [5 / 48, 10 / 64, 25 / 48, 30 / 64], [30 / 48, 40 / 64, 40 / 48, 60 / 64]],
                             rtol=1e-6)
  np.testing.assert_array_equal(decoded[_INPUTS.groundtruth_classes], [1, 3])
  np.testing.assert_array_equal(decoded[_INPUTS.groundtruth_is_crowd],
                                [False, True])
  np.testing.assert_allclose(decoded[_INPUTS.groundtruth_area], [400, 200])
  instance_masks = decoded[_INPUTS.groundtruth_instance_masks]
  assert instance_masks.shape == (2, 48, 64)
  np.testing.assert_array_equal(instance_masks[1], masks[2])
  polygon = instance_masks[0]
  rows, cols = np.nonzero(polygon)
  assert (rows.min(), rows.max(), cols.min(), cols.max()) == (5, 24, 10, 29)
  assert polygon.sum() == 400

  _, decoded = records[12]  # the zero-size box is skipped
  np.testing.assert_array_equal(decoded[_INPUTS.groundtruth_classes], [1])
  np.testing.assert_array_equal(
      decoded[_INPUTS.groundtruth_instance_masks][0], masks[3])

  example, decoded = records[13]
  assert example.features.feature["image/format"].bytes_list.value[0] == (
      b"jpeg")
  assert decoded[_INPUTS.image].shape == (32, 32, 3)
  assert decoded[_INPUTS.groundtruth_boxes].shape == (0, 4)


def _broken(annotations, change):
  broken = copy.deepcopy(annotations)
  change(broken)
  return broken


@pytest.mark.parametrize("change, message", [
    (lambda a: a["images"][1].update(file_name="missing.png"),
     "image id 12 (file_name 'missing.png'): no such file"),
    (lambda a: a["annotations"][0]["segmentation"][0].__setitem__(2, 70),
     "annotation id 1 (annotations[0], image id 11): polygon point (70, 5) "
     "lies outside the 64x48 (width x height) image"),
    (lambda a: a["annotations"][2].update(category_id=7),
     "annotation id 3 (annotations[2], image id 12): category_id 7 is not in "
     "categories ([1, 3])"),
    (lambda a: a["annotations"][1].update(image_id=99),
     "annotation id 2 (annotations[1], image id 99): image id 99 is not in "
     "images"),
    (lambda a: a["annotations"][1]["segmentation"].update(size=[40, 40]),
     "annotation id 2 (annotations[1], image id 11): RLE size [40, 40] is "
     "not the image's [48, 64]"),
    (lambda a: a["images"][2].update(width=33),
     "image id 13 (file_name 'c.jpg'): the file is 32x32, the annotations "
     "say 33x32"),
])
def test_bad_input_names_the_record(coco, tmp_path, change, message):
  annotations, image_dir, _ = coco
  path = _write(_broken(annotations, change), tmp_path / "bad.json")
  with pytest.raises(coco_conversion.CocoFormatError) as raised:
    dataset = coco_conversion.load_dataset(path)
    list(coco_conversion.examples(dataset, image_dir, include_masks=True))
  assert str(raised.value).startswith(path + ": "), raised.value
  assert message in str(raised.value)


def test_the_tool_reports_bad_input_in_one_line_and_writes_nothing(
    coco, tmp_path):
  annotations, image_dir, _ = coco
  broken = _broken(annotations,
                   lambda a: a["images"][2].update(file_name="gone.jpg"))
  path = _write(broken, tmp_path / "bad.json")
  output = str(tmp_path / "out")
  result = _convert("--train_annotations_file=" + path,
                    "--train_image_dir=" + image_dir, "--include_masks",
                    "--train_num_shards=2", "--output_dir=" + output)
  assert result.returncode == 2, result.stderr
  last = result.stderr.strip().splitlines()[-1]
  assert last == ("create_coco_tf_record: error: %s: image id 13 (file_name "
                  "'gone.jpg'): no such file %s" % (
                      path, os.path.join(image_dir, "gone.jpg"))), last
  assert "Traceback" not in result.stderr
  # The two images before it were converted, then thrown away.
  assert os.listdir(output) == []


def test_json_errors_name_line_and_column(tmp_path):
  path = tmp_path / "broken.json"
  path.write_text('{"images": [\n  {"id": 1,}\n]}')
  with pytest.raises(coco_conversion.CocoFormatError,
                     match=r"broken.json:2:12: not JSON"):
    coco_conversion.load_dataset(str(path))


def test_testdev_needs_no_annotations(coco, tmp_path):
  annotations, image_dir, _ = coco
  info = {"images": annotations["images"], "categories": CATEGORIES}
  path = _write(info, tmp_path / "image_info.json")
  dataset = coco_conversion.load_dataset(path, require_annotations=False)
  examples = list(coco_conversion.examples(dataset, image_dir, False))
  assert len(examples) == 3
  with pytest.raises(coco_conversion.CocoFormatError,
                     match="missing annotations"):
    coco_conversion.load_dataset(path)
