"""Tests of object_detection/data_decoders/tf_example_decoder.py.

Records come from the project's own writer (tf_example_writer on shapes
images) and from hand-built tf.train.Example protos laid out the way the TF
OD API dataset tools write them (JPEG image, one PNG per instance mask,
class texts only, a label map file).
"""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import standard_fields
from object_detection.data import record_errors
from object_detection.data import shapes_dataset
from object_detection.data import tf_example_writer
from object_detection.data_decoders import tf_example_decoder
from object_detection.utils import label_map_util

fields = standard_fields.InputDataFields
tfx = standard_fields.TfExampleFields
PREFIX = record_errors.INVALID_RECORD_PREFIX

LABEL_MAP = """
item { id: 1 name: '/m/01yrx' display_name: 'cat' }
item { id: 2 name: '/m/0bt9lr' display_name: 'dog' }
item { id: 3 name: 'bird' }
"""


# ---------------------------------------------------------------- fixtures --

def _bytes(values):
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=list(values)))


def _floats(values):
  return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))


def _ints(values):
  return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def _serialize(feature: dict) -> bytes:
  return tf.train.Example(
      features=tf.train.Features(feature=feature)).SerializeToString()


def _png(array: np.ndarray) -> bytes:
  array = np.asarray(array, np.uint8)
  if array.ndim == 2:
    array = array[:, :, np.newaxis]
  return tf.io.encode_png(array).numpy()


def _tfod_record(image_bytes: bytes, height: int, width: int,
                 boxes=(), texts=None, labels=None, masks=None,
                 source_id: str = "img7", image_format: bytes = b"jpeg",
                 extra: dict = None) -> bytes:
  """A record as the TF OD API's create_*_tf_record tools lay it out.

  Args:
    image_bytes: the encoded image.
    height, width: the image/height and image/width features.
    boxes: normalised [ymin, xmin, ymax, xmax] per object.
    texts: class names per object (None: no image/object/class/text).
    labels: class ids per object (None: no image/object/class/label).
    masks: uint8 [num_boxes, height, width] masks, stored one PNG each.
    source_id: image/source_id.
    image_format: image/format.
    extra: more features, key -> tf.train.Feature.
  """
  boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
  feature = {
      tfx.height: _ints([height]),
      tfx.width: _ints([width]),
      tfx.filename: _bytes([source_id.encode() + b".jpg"]),
      tfx.source_id: _bytes([source_id.encode()]),
      "image/key/sha256": _bytes([b"abc123"]),
      tfx.image_encoded: _bytes([image_bytes]),
      tfx.image_format: _bytes([image_format]),
      tfx.object_bbox_ymin: _floats(boxes[:, 0]),
      tfx.object_bbox_xmin: _floats(boxes[:, 1]),
      tfx.object_bbox_ymax: _floats(boxes[:, 2]),
      tfx.object_bbox_xmax: _floats(boxes[:, 3]),
  }
  if texts is not None:
    feature[tfx.object_class_text] = _bytes(t.encode() for t in texts)
  if labels is not None:
    feature[tfx.object_class_label] = _ints(labels)
  if masks is not None:
    feature[tfx.object_mask] = _bytes(_png(m) for m in masks)
  feature.update(extra or {})
  return _serialize(feature)


@pytest.fixture
def label_map_path(tmp_path) -> str:
  path = tmp_path / "label_map.pbtxt"
  path.write_text(LABEL_MAP)
  return str(path)


def _flat_image(height: int, width: int, channels: int = 3) -> np.ndarray:
  """A constant image (JPEG keeps flat 8x8 blocks exact to +-1)."""
  colour = np.array([200, 40, 120, 255][:channels], np.uint8)
  return np.broadcast_to(colour, (height, width, channels)).copy()


def _decode(serialized: bytes, **kwargs) -> dict:
  decoder = tf_example_decoder.TfExampleDecoder(**kwargs)
  decoded = decoder.decode(tf.constant(serialized))
  return {key: value.numpy() for key, value in decoded.items()}


def _error_line(serialized: bytes, record_location=None, graph=False,
                **kwargs) -> str:
  """The one-line message of the check that rejects `serialized`.

  Eager by default (faster); `graph=True` runs decode in a tf.function, as
  under tf.data.
  """
  decoder = tf_example_decoder.TfExampleDecoder(**kwargs)
  decode = tf.function(decoder.decode) if graph else decoder.decode
  with pytest.raises(tf.errors.InvalidArgumentError) as info:
    if record_location is None:
      decode(tf.constant(serialized))
    else:
      decode(tf.constant(serialized), tf.constant(record_location))
  message = info.value.message
  line = record_errors.clean_message(message)
  assert line.startswith(PREFIX)
  assert line in message  # quoted verbatim, not escaped
  return line


# Boxes of a 16 x 24 image, in pixels and normalised:
# [2, 4, 10, 20] / [16, 24, 16, 24] = [0.125, 1/6, 0.625, 5/6];
# [8, 0, 16, 12] / [16, 24, 16, 24] = [0.5, 0, 1, 0.5].
PIXEL_BOXES = np.array([[2, 4, 10, 20], [8, 0, 16, 12]], np.float32)
BOXES = PIXEL_BOXES / np.array([16, 24, 16, 24], np.float32)


def _box_masks() -> np.ndarray:
  """uint8 [2, 16, 24]: each box filled with 1 (as COCO tools write)."""
  masks = np.zeros((2, 16, 24), np.uint8)
  for mask, (y0, x0, y1, x1) in zip(masks, PIXEL_BOXES.astype(int)):
    mask[y0:y1, x0:x1] = 1
  return masks


# -------------------------------------------------- the project's writer --

def test_round_trip_through_the_project_writer(tmp_path):
  rng = np.random.default_rng(3)
  originals = [shapes_dataset.make_example(rng, 24, 32, max_instances=3,
                                           min_size=6, max_size=10)
               for _ in range(2)]
  examples = [tf_example_writer.encode_detection_example(
      e.image, e.boxes, e.classes, shapes_dataset.CLASS_NAMES, "shape%d" % i,
      e.masks) for i, e in enumerate(originals)]
  (path,) = tf_example_writer.write_tfrecord_shards(
      examples, str(tmp_path / "train"), num_shards=1)
  decoder = tf_example_decoder.TfExampleDecoder(
      load_instance_masks=True,
      instance_mask_type=tf_example_decoder.PNG_MASKS,
      label_map_proto_file="pipelines/shapes_label_map.pbtxt", num_classes=3)
  dataset = tf.data.TFRecordDataset(path).enumerate().map(
      lambda index, record: decoder.decode(
          record, record_errors.location_tensor(tf.constant(path), index)))
  decoded = list(dataset.as_numpy_iterator())
  assert len(decoded) == 2
  for i, (original, out) in enumerate(zip(originals, decoded)):
    np.testing.assert_array_equal(out[fields.image], original.image)  # PNG
    np.testing.assert_array_equal(out[fields.original_image_spatial_shape],
                                  [24, 32])
    np.testing.assert_allclose(
        out[fields.groundtruth_boxes],
        original.boxes / np.array([24, 32, 24, 32], np.float32), rtol=1e-6)
    np.testing.assert_array_equal(out[fields.groundtruth_classes],
                                  original.classes)
    np.testing.assert_array_equal(out[fields.groundtruth_instance_masks],
                                  original.masks)
    num = len(original.classes)
    np.testing.assert_array_equal(out[fields.groundtruth_weights],
                                  np.ones(num))
    np.testing.assert_array_equal(
        out[fields.groundtruth_instance_mask_weights], np.ones(num))
    assert out[fields.source_id] == b"shape%d" % i
    assert out[fields.filename] == b"shape%d" % i
    # The writer stores no per-box flags: empty, as in the TF OD API.
    assert out[fields.groundtruth_is_crowd].shape == (0,)
    assert out[fields.groundtruth_area].shape == (0,)


def test_writer_records_decode_from_labels_without_a_label_map():
  rng = np.random.default_rng(5)
  original = shapes_dataset.make_example(rng, 16, 16, max_instances=2,
                                         min_size=4, max_size=6)
  serialized = tf_example_writer.encode_detection_example(
      original.image, original.boxes, original.classes,
      shapes_dataset.CLASS_NAMES, "s", original.masks).SerializeToString()
  out = _decode(serialized)
  np.testing.assert_array_equal(out[fields.groundtruth_classes],
                                original.classes)
  # The TF OD API decoder's keys with the default options.
  assert set(out) == {
      fields.image, fields.original_image_spatial_shape, fields.source_id,
      fields.key, fields.filename, fields.groundtruth_boxes,
      fields.groundtruth_classes, fields.groundtruth_weights,
      fields.groundtruth_area, fields.groundtruth_is_crowd,
      fields.groundtruth_difficult, fields.groundtruth_group_of,
      fields.groundtruth_image_classes, fields.groundtruth_image_confidences,
      fields.groundtruth_verified_neg_classes,
      fields.groundtruth_not_exhaustive_classes}


# ----------------------------------------- records of the TF OD API tools --

def test_tfod_record_with_jpeg_png_masks_and_text_classes(label_map_path):
  image = _flat_image(16, 24)
  serialized = _tfod_record(
      tf.io.encode_jpeg(image).numpy(), 16, 24, BOXES,
      texts=["cat", "/m/0bt9lr"], masks=_box_masks(),
      extra={"image/object/area": _floats([128.0, 96.0]),
             tfx.object_is_crowd: _ints([0, 1]),
             tfx.object_difficult: _ints([1, 0]),
             tfx.object_group_of: _ints([0, 1]),
             tfx.object_weight: _floats([0.5, 1.0]),
             "image/object/mask/weight": _floats([1.0, 0.0])})
  out = _decode(serialized, load_instance_masks=True,
                instance_mask_type=tf_example_decoder.PNG_MASKS,
                label_map_proto_file=label_map_path)
  assert out[fields.image].dtype == np.uint8
  assert out[fields.image].shape == (16, 24, 3)
  assert np.abs(out[fields.image].astype(int) - image).max() <= 2  # JPEG
  np.testing.assert_allclose(out[fields.groundtruth_boxes], BOXES, rtol=1e-6)
  # 'cat' is a display_name, '/m/0bt9lr' a name: both are looked up.
  np.testing.assert_array_equal(out[fields.groundtruth_classes], [1, 2])
  assert out[fields.groundtruth_classes].dtype == np.int64
  masks = out[fields.groundtruth_instance_masks]
  assert masks.dtype == np.float32
  np.testing.assert_array_equal(masks, _box_masks())
  # Mask 0 covers rows 2..9, columns 4..19: 8 * 16 = 128 pixels.
  assert masks[0].sum() == 128
  np.testing.assert_allclose(out[fields.groundtruth_area], [128.0, 96.0])
  np.testing.assert_array_equal(out[fields.groundtruth_is_crowd],
                                [False, True])
  np.testing.assert_array_equal(out[fields.groundtruth_difficult], [1, 0])
  np.testing.assert_array_equal(out[fields.groundtruth_group_of],
                                [False, True])
  np.testing.assert_allclose(out[fields.groundtruth_weights], [0.5, 1.0])
  np.testing.assert_allclose(out[fields.groundtruth_instance_mask_weights],
                             [1.0, 0.0])
  assert out[fields.key] == b"abc123"
  assert out[fields.filename] == b"img7.jpg"
  assert out[fields.source_id] == b"img7"


def test_class_texts_take_precedence_over_labels(label_map_path):
  # As in the TF OD API: with a label map, non-empty texts win.
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES,
                            texts=["bird", "dog"], labels=[1, 1])
  out = _decode(serialized, label_map_proto_file=label_map_path)
  np.testing.assert_array_equal(out[fields.groundtruth_classes], [3, 2])


def test_labels_are_used_when_texts_are_absent(label_map_path):
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES,
                            labels=[3, 2])
  out = _decode(serialized, label_map_proto_file=label_map_path,
                num_classes=3)
  np.testing.assert_array_equal(out[fields.groundtruth_classes], [3, 2])


def test_image_level_class_texts_are_mapped(label_map_path):
  serialized = _tfod_record(
      _png(_flat_image(8, 8)), 8, 8,
      extra={tfx.image_class_text: _bytes([b"dog", b"bird"]),
             tfx.image_class_confidence: _floats([1.0, 0.0])})
  out = _decode(serialized, label_map_proto_file=label_map_path)
  np.testing.assert_array_equal(out[fields.groundtruth_image_classes], [2, 3])
  np.testing.assert_allclose(out[fields.groundtruth_image_confidences],
                             [1.0, 0.0])


def test_label_map_proto_is_accepted():
  label_map = label_map_util.parse_labelmap(LABEL_MAP)
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES[:1],
                            texts=["dog"])
  out = _decode(serialized, label_map_proto_file=label_map)
  np.testing.assert_array_equal(out[fields.groundtruth_classes], [2])


def test_boxes_within_tolerance_are_clipped():
  # 1e-3 tolerance: -0.0005 -> 0 and 1.0005 -> 1.
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8,
                            [[-0.0005, 0.25, 1.0005, 0.5]], labels=[1])
  out = _decode(serialized)
  np.testing.assert_allclose(out[fields.groundtruth_boxes],
                             [[0.0, 0.25, 1.0, 0.5]])


# ------------------------------------------------ image kinds and masks --

@pytest.mark.parametrize("channels", [1, 2, 4])
def test_png_with_1_2_or_4_channels_comes_out_rgb(channels):
  image = np.arange(6 * 5 * channels, dtype=np.uint8).reshape(6, 5, channels)
  out = _decode(_tfod_record(_png(image), 6, 5, image_format=b"png"))
  # Gray (and gray + alpha) repeat the gray channel; RGBA drops alpha.
  expected = (np.repeat(image[:, :, :1], 3, axis=2) if channels < 3
              else image[:, :, :3])
  np.testing.assert_array_equal(out[fields.image], expected)


def test_grayscale_jpeg_comes_out_rgb():
  gray = np.full((16, 8, 1), 90, np.uint8)
  encoded = tf.io.encode_jpeg(gray, format="grayscale").numpy()
  out = _decode(_tfod_record(encoded, 16, 8))
  assert out[fields.image].shape == (16, 8, 3)
  assert np.abs(out[fields.image].astype(int) - 90).max() <= 1
  # All three channels are the same gray.
  np.testing.assert_array_equal(out[fields.image][:, :, 0],
                                out[fields.image][:, :, 2])


def test_image_format_feature_does_not_decide_the_decoder():
  # A PNG labelled 'jpeg' (a common dataset-tool slip) still decodes.
  image = np.arange(4 * 4 * 3, dtype=np.uint8).reshape(4, 4, 3)
  out = _decode(_tfod_record(_png(image), 4, 4, image_format=b"jpeg"))
  np.testing.assert_array_equal(out[fields.image], image)


def test_numerical_masks():
  # Two 3 x 4 masks, flattened; any value > 0 is foreground.
  values = np.array([[[0, 0.5, 1, 0], [0, 0, 0, 0], [2, 0, 0, 0]],
                     [[1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0.1]]],
                    np.float32)
  serialized = _tfod_record(
      _png(_flat_image(3, 4)), 3, 4, BOXES, labels=[1, 2],
      extra={tfx.object_mask: _floats(values.reshape(-1))})
  out = _decode(serialized, load_instance_masks=True,
                instance_mask_type=tf_example_decoder.NUMERICAL_MASKS)
  np.testing.assert_array_equal(out[fields.groundtruth_instance_masks],
                                (values > 0).astype(np.float32))
  np.testing.assert_array_equal(
      out[fields.groundtruth_instance_mask_weights], [1.0, 1.0])


@pytest.mark.parametrize("mask_type", [tf_example_decoder.PNG_MASKS,
                                       tf_example_decoder.NUMERICAL_MASKS,
                                       tf_example_decoder.DEFAULT])
def test_zero_instances(mask_type, label_map_path):
  serialized = _tfod_record(tf.io.encode_jpeg(_flat_image(16, 8)).numpy(),
                            16, 8, texts=[])
  out = _decode(serialized, load_instance_masks=True,
                instance_mask_type=mask_type,
                label_map_proto_file=label_map_path, num_classes=3)
  assert out[fields.groundtruth_boxes].shape == (0, 4)
  assert out[fields.groundtruth_classes].shape == (0,)
  assert out[fields.groundtruth_weights].shape == (0,)
  assert out[fields.groundtruth_instance_masks].shape == (0, 16, 8)
  assert out[fields.groundtruth_instance_masks].dtype == np.float32
  assert out[fields.groundtruth_instance_mask_weights].shape == (0,)


def test_keypoints_in_y_x_order_with_unlabeled_as_nan():
  # Two boxes, two keypoints each; x NaN marks an unlabeled keypoint.
  serialized = _tfod_record(
      _png(_flat_image(4, 4)), 4, 4, BOXES, labels=[1, 1],
      extra={"image/object/keypoint/x": _floats([0.1, 0.2, float("nan"),
                                                 0.4]),
             "image/object/keypoint/y": _floats([0.5, 0.6, 0.7, 0.8])})
  out = _decode(serialized, num_keypoints=2)
  np.testing.assert_allclose(
      out[fields.groundtruth_keypoints],
      [[[0.5, 0.1], [0.6, 0.2]], [[np.nan, np.nan], [0.8, 0.4]]], rtol=1e-6)
  np.testing.assert_array_equal(
      out[fields.groundtruth_keypoint_visibilities],
      [[True, True], [False, True]])


# ------------------------------------------------------------ tf.function --

def test_decode_under_tf_function_with_unknown_shapes(label_map_path):
  decoder = tf_example_decoder.TfExampleDecoder(
      load_instance_masks=True,
      instance_mask_type=tf_example_decoder.PNG_MASKS,
      label_map_proto_file=label_map_path, num_classes=3)
  decode = tf.function(decoder.decode, input_signature=[
      tf.TensorSpec([], tf.string), tf.TensorSpec([], tf.string)])
  big = _tfod_record(tf.io.encode_jpeg(_flat_image(16, 24)).numpy(), 16, 24,
                     BOXES, texts=["cat", "bird"], masks=_box_masks())
  small = _tfod_record(_png(_flat_image(4, 6)), 4, 6, texts=[],
                       image_format=b"png")
  out_big = decode(tf.constant(big), tf.constant("a.tfrecord record 0"))
  out_small = decode(tf.constant(small), tf.constant("a.tfrecord record 1"))
  assert decode.experimental_get_tracing_count() == 1
  image_spec = decode.get_concrete_function().structured_outputs[fields.image]
  assert image_spec.shape.as_list() == [None, None, 3]
  assert out_big[fields.groundtruth_instance_masks].shape == (2, 16, 24)
  np.testing.assert_array_equal(out_big[fields.groundtruth_classes], [1, 3])
  assert out_small[fields.image].shape == (4, 6, 3)
  assert out_small[fields.groundtruth_instance_masks].shape == (0, 4, 6)


# ----------------------------------------------------------------- errors --

def test_undecodable_image_error():
  serialized = _tfod_record(b"not an image", 8, 8)
  assert _error_line(serialized, "data/train.tfrecord record 4",
                     graph=True) == (
      PREFIX + "data/train.tfrecord record 4: source_id 'img7': "
      "image/encoded: bytes must be a JPEG, PNG, GIF or BMP image, got 12 "
      "bytes in another format")


def test_missing_image_error_without_location():
  serialized = _serialize({tfx.source_id: _bytes([b"img9"])})
  assert _error_line(serialized) == (
      PREFIX + "source_id 'img9': image/encoded: bytes must be a JPEG, PNG, "
      "GIF or BMP image, got 0 bytes in another format")


def test_class_text_absent_from_label_map_error(label_map_path):
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES,
                            texts=["cat", "zebra"])
  assert _error_line(serialized, "f.tfrecord record 0", graph=True,
                     label_map_proto_file=label_map_path) == (
      PREFIX + "f.tfrecord record 0: source_id 'img7': "
      "image/object/class/text: must name a class of label map "
      + label_map_path + ", got 'zebra'")


def test_label_above_num_classes_error():
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES,
                            labels=[2, 5])
  assert _error_line(serialized, "f.tfrecord record 2", num_classes=3) == (
      PREFIX + "f.tfrecord record 2: source_id 'img7': "
      "image/object/class/label: must be in [1, 3], got 5")


def test_text_mapped_above_num_classes_error(label_map_path):
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES,
                            texts=["cat", "bird"])
  assert _error_line(serialized, "f.tfrecord record 2", num_classes=2,
                     label_map_proto_file=label_map_path) == (
      PREFIX + "f.tfrecord record 2: source_id 'img7': "
      "image/object/class/text: must name a class with id in [1, 2], got "
      "'bird' (id 3)")


def test_box_outside_unit_range_error():
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8,
                            [[0.1, 0.1, 0.5, 0.5], [0.2, 0.1, 1.7, 0.5]],
                            labels=[1, 1])
  assert _error_line(serialized, "data/train.tfrecord record 17") == (
      PREFIX + "data/train.tfrecord record 17: source_id 'img7': "
      "image/object/bbox/ymax: must be in [0, 1], got 1.7")


def test_ymin_above_ymax_error():
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8,
                            [[0.6, 0.1, 0.4, 0.5]], labels=[1])
  assert _error_line(serialized, "f.tfrecord record 1") == (
      PREFIX + "f.tfrecord record 1: source_id 'img7': "
      "image/object/bbox/ymin: must be <= image/object/bbox/ymax, got 0.6 > "
      "0.4")


def test_mask_count_error():
  serialized = _tfod_record(_png(_flat_image(16, 24)), 16, 24, BOXES,
                            labels=[1, 1], masks=_box_masks()[:1])
  assert _error_line(serialized, "f.tfrecord record 1",
                     load_instance_masks=True,
                     instance_mask_type=tf_example_decoder.PNG_MASKS) == (
      PREFIX + "f.tfrecord record 1: source_id 'img7': image/object/mask: "
      "must have one PNG mask per box (2), got 1")


def test_error_names_file_and_record_index_through_tf_data(tmp_path):
  path = str(tmp_path / "bad.tfrecord")
  good = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES[:1], labels=[1])
  bad = _tfod_record(_png(_flat_image(8, 8)), 8, 8, [[0.2, 0.1, 0.1, 0.5]],
                     labels=[1], source_id="img_0042")
  with tf.io.TFRecordWriter(path) as writer:
    writer.write(good)
    writer.write(bad)
  decoder = tf_example_decoder.TfExampleDecoder()
  dataset = tf.data.TFRecordDataset(path).enumerate().map(
      lambda index, record: decoder.decode(
          record, record_errors.location_tensor(tf.constant(path), index)))
  with pytest.raises(record_errors.InputDataError) as info:
    list(record_errors.iterate(dataset, [path]))
  assert str(info.value) == (
      PREFIX + path + " record 1: source_id 'img_0042': "
      "image/object/bbox/ymin: must be <= image/object/bbox/ymax, got 0.2 > "
      "0.1")


# ------------------------------------------------------------ constructor --

@pytest.mark.parametrize("kwargs, message", [
    ({"expand_hierarchy_labels": True},
     "expand_hierarchy_labels: not supported by this TfExampleDecoder, got "
     "True"),
    ({"load_dense_pose": True},
     "load_dense_pose: not supported by this TfExampleDecoder, got True"),
    ({"load_instance_masks": True, "instance_mask_type": 7},
     "instance_mask_type: must be one of DEFAULT (0), NUMERICAL_MASKS (1), "
     "PNG_MASKS (2), got 7"),
    ({"num_classes": 0}, "num_classes: must be >= 1, got 0"),
    ({"num_keypoints": -1}, "num_keypoints: must be >= 0, got -1"),
])
def test_constructor_rejects_bad_options(kwargs, message):
  with pytest.raises(ValueError) as info:
    tf_example_decoder.TfExampleDecoder(**kwargs)
  assert str(info.value) == message


# ------------------------------------------------------ find_record_error --

def test_find_record_error_is_none_for_a_sound_record():
  decoder = tf_example_decoder.TfExampleDecoder()
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES, labels=[1, 2])
  assert decoder.find_record_error(serialized, "f.tfrecord record 0") is None


def test_find_record_error_names_a_truncated_jpeg():
  # The JPEG magic bytes are intact, so only the decode op can tell.
  encoded = tf.io.encode_jpeg(_flat_image(16, 16)).numpy()
  serialized = _tfod_record(encoded[:len(encoded) // 2], 16, 16)
  decoder = tf_example_decoder.TfExampleDecoder()
  with pytest.raises(tf.errors.InvalidArgumentError) as info:
    tf.function(decoder.decode)(tf.constant(serialized))
  assert PREFIX not in info.value.message  # TF's own error, unlocated
  assert decoder.find_record_error(serialized, "f.tfrecord record 5") == (
      PREFIX + "f.tfrecord record 5: source_id 'img7': image/encoded: bytes "
      "cannot be decoded: jpeg::Uncompress failed. Invalid JPEG data or crop "
      "window.")


def test_find_record_error_names_a_corrupt_png_mask():
  png = _png(_box_masks()[1])
  masks = [_png(_box_masks()[0]), png[:40]]  # signature intact, data cut
  serialized = _tfod_record(
      _png(_flat_image(16, 24)), 16, 24, BOXES, labels=[1, 1],
      extra={tfx.object_mask: _bytes(masks)})
  decoder = tf_example_decoder.TfExampleDecoder(
      load_instance_masks=True,
      instance_mask_type=tf_example_decoder.PNG_MASKS)
  line = decoder.find_record_error(serialized, "f.tfrecord record 1")
  assert line.startswith(PREFIX + "f.tfrecord record 1: source_id 'img7': "
                         "image/object/mask: mask 1 cannot be decoded: ")


def test_find_record_error_names_a_feature_of_the_wrong_type():
  serialized = _serialize({tfx.source_id: _bytes([b"img3"]),
                           tfx.height: _floats([8.0])})
  decoder = tf_example_decoder.TfExampleDecoder()
  assert decoder.find_record_error(serialized, "f.tfrecord record 2") == (
      PREFIX + "f.tfrecord record 2: source_id 'img3': image/height: Data "
      "types don't match. Data type: float but expected type: int64")


def test_find_record_error_names_bytes_that_are_not_an_example():
  decoder = tf_example_decoder.TfExampleDecoder()
  assert decoder.find_record_error(b"\x07garbage", "f.tfrecord record 0") == (
      PREFIX + "f.tfrecord record 0: record: the 8 bytes are not a "
      "serialized tf.train.Example")


def test_find_record_error_repeats_the_in_graph_message():
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8,
                            [[0.2, 0.1, 1.7, 0.5]], labels=[1])
  decoder = tf_example_decoder.TfExampleDecoder()
  assert decoder.find_record_error(serialized, "f.tfrecord record 3") == (
      _error_line(serialized, "f.tfrecord record 3"))


def test_class_count_error():
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES, labels=[1])
  assert _error_line(serialized, "f.tfrecord record 0") == (
      PREFIX + "f.tfrecord record 0: source_id 'img7': "
      "image/object/class/label: must have one value per box (2), got 1")


def test_mask_size_error():
  masks = np.zeros((1, 8, 24), np.uint8)  # the image is 16 x 24
  serialized = _tfod_record(_png(_flat_image(16, 24)), 16, 24, BOXES[:1],
                            labels=[1], masks=masks)
  assert _error_line(serialized, "f.tfrecord record 0", graph=True,
                     load_instance_masks=True,
                     instance_mask_type=tf_example_decoder.PNG_MASKS) == (
      PREFIX + "f.tfrecord record 0: source_id 'img7': image/object/mask: "
      "mask 0 must be the image size 16x24, got 8x24")


def test_numerical_mask_count_error():
  # 2 boxes x 3 x 4 = 24 values expected, 12 given.
  serialized = _tfod_record(
      _png(_flat_image(3, 4)), 3, 4, BOXES, labels=[1, 2],
      extra={tfx.object_mask: _floats(np.zeros(12))})
  assert _error_line(serialized, "f.tfrecord record 0",
                     load_instance_masks=True) == (
      PREFIX + "f.tfrecord record 0: source_id 'img7': image/object/mask: "
      "must hold one height x width mask per box, 2 x 3 x 4 = 24 values, got "
      "12")


def test_text_only_record_without_label_map_error():
  # The TF OD API tools may write texts only; ids then need a label map.
  serialized = _tfod_record(_png(_flat_image(8, 8)), 8, 8, BOXES,
                            texts=["cat", "dog"])
  assert _error_line(serialized, "f.tfrecord record 0") == (
      PREFIX + "f.tfrecord record 0: source_id 'img7': "
      "image/object/class/label: must have one value per box (2), got 0; the "
      "record has image/object/class/text: give the decoder a label map "
      "(input_reader.label_map_path)")


def test_optional_fields():
  channel = np.arange(12, dtype=np.uint8).reshape(3, 4)
  serialized = _tfod_record(
      _png(_flat_image(3, 4)), 3, 4, BOXES, labels=[1, 2],
      extra={"image/object/class/multiclass_scores": _floats(
                 [0.9, 0.1, 0.2, 0.8]),
             "image/object/track/label": _ints([7, 9]),
             "image/context_features": _floats([1, 2, 3, 4, 5, 6]),
             "image/context_feature_length": _ints([3]),
             "image/additional_channels/encoded": _bytes([_png(channel)])})
  out = _decode(serialized, load_multiclass_scores=True, load_track_id=True,
                load_context_features=True, num_additional_channels=1)
  np.testing.assert_allclose(out[fields.multiclass_scores],
                             [0.9, 0.1, 0.2, 0.8])
  np.testing.assert_array_equal(out[fields.groundtruth_track_ids], [7, 9])
  assert out[fields.groundtruth_track_ids].dtype == np.int32
  # 6 values of length 3: [2, 3].
  np.testing.assert_allclose(out[fields.context_features],
                             [[1, 2, 3], [4, 5, 6]])
  assert out[fields.context_feature_length] == 3
  np.testing.assert_array_equal(out[fields.image_additional_channels],
                                channel[:, :, np.newaxis])


def test_box_coordinate_count_error_comes_before_box_math():
  serialized = _tfod_record(
      _png(_flat_image(8, 8)), 8, 8, BOXES, labels=[1, 1],
      extra={tfx.object_bbox_xmin: _floats([0.1])})
  assert _error_line(serialized, "f.tfrecord record 0", graph=True) == (
      PREFIX + "f.tfrecord record 0: source_id 'img7': "
      "image/object/bbox/xmin: must have as many values as "
      "image/object/bbox/ymin (2), got 1")
