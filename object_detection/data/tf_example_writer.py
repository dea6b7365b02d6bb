"""Encodes detection examples as tf.train.Example and writes TFRecord shards.

The record layout is the TF Object Detection API's, so files written here
read with any reader of that format: JPEG/PNG image bytes, normalised box
corners, class ids and names, and instance masks as one PNG per instance
(`mask_type: PNG_MASKS` in an input_reader).
"""

import io
import os
from typing import Iterable, List, Mapping, Optional, Sequence

import numpy as np
import PIL.Image
import tensorflow as tf

from object_detection.core.standard_fields import TfExampleFields as fields


def _png_bytes(array: np.ndarray) -> bytes:
  buffer = io.BytesIO()
  PIL.Image.fromarray(array).save(buffer, format="PNG")
  return buffer.getvalue()


def bytes_feature(values: Iterable[bytes]) -> tf.train.Feature:
  return tf.train.Feature(bytes_list=tf.train.BytesList(value=list(values)))


def float_feature(values: Iterable[float]) -> tf.train.Feature:
  return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))


def int64_feature(values: Iterable[int]) -> tf.train.Feature:
  return tf.train.Feature(int64_list=tf.train.Int64List(value=list(values)))


def encode_detection_example(image: np.ndarray, boxes: np.ndarray,
                             classes: np.ndarray,
                             class_names: Mapping[int, str],
                             source_id: str,
                             masks: Optional[np.ndarray] = None
                             ) -> tf.train.Example:
  """Builds the tf.train.Example of one image and its annotations.

  Args:
    image: uint8 [height, width, 3], stored PNG-encoded (lossless).
    boxes: float [num_instances, 4] absolute [ymin, xmin, ymax, xmax] pixels.
    classes: int [num_instances] class ids (1-based, as in the label map).
    class_names: class id -> name, for the `class/text` feature.
    source_id: unique id of the image, also used as its file name.
    masks: optional uint8 [num_instances, height, width] binary masks.

  Returns:
    The tf.train.Example.

  Raises:
    ValueError: if the annotation arrays disagree in length or shape.
  """
  height, width = image.shape[:2]
  expected = (np.size(boxes) // 4, height, width)
  if masks is not None and masks.shape != expected:
    raise ValueError("masks must have shape %s, got %s" % (expected,
                                                           masks.shape))
  return encode_encoded_example(
      _png_bytes(image), "png", height, width, boxes, classes, class_names,
      source_id, masks=masks)


def encode_encoded_example(encoded: bytes, image_format: str, height: int,
                           width: int, boxes: np.ndarray, classes: np.ndarray,
                           class_names: Mapping[int, str], source_id: str,
                           filename: Optional[str] = None,
                           masks: Optional[Sequence] = None,
                           extra: Optional[Mapping[str, tf.train.Feature]]
                           = None) -> tf.train.Example:
  """The tf.train.Example of already encoded image bytes (kept as they are).

  Args:
    encoded: the image file's bytes (JPEG, PNG, ...).
    image_format: its format for `image/format`, e.g. 'jpeg'.
    height, width: the image's size in pixels.
    boxes, classes, class_names, source_id: as encode_detection_example.
    filename: `image/filename` (default source_id).
    masks: optional per-instance masks: uint8 [height, width] arrays
      (PNG-encoded here) or PNG bytes.
    extra: more features by key (e.g. image/object/is_crowd).

  Raises:
    ValueError: if the annotation arrays disagree in length.
  """
  boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
  classes = np.asarray(classes).reshape(-1)
  if len(classes) != len(boxes):
    raise ValueError("got %d boxes but %d classes" % (len(boxes), len(classes)))
  feature = {
      fields.height: int64_feature([height]),
      fields.width: int64_feature([width]),
      fields.filename: bytes_feature([(filename or source_id).encode()]),
      fields.source_id: bytes_feature([source_id.encode()]),
      fields.image_encoded: bytes_feature([encoded]),
      fields.image_format: bytes_feature([image_format.encode()]),
      fields.object_bbox_ymin: float_feature(boxes[:, 0] / height),
      fields.object_bbox_xmin: float_feature(boxes[:, 1] / width),
      fields.object_bbox_ymax: float_feature(boxes[:, 2] / height),
      fields.object_bbox_xmax: float_feature(boxes[:, 3] / width),
      fields.object_class_label: int64_feature(int(c) for c in classes),
      fields.object_class_text: bytes_feature(
          class_names[int(c)].encode() for c in classes),
  }
  if masks is not None:
    if len(masks) != len(boxes):
      raise ValueError("got %d boxes but %d masks" % (len(boxes), len(masks)))
    feature[fields.object_mask] = bytes_feature(
        m if isinstance(m, bytes) else _png_bytes(np.asarray(m, np.uint8))
        for m in masks)
  feature.update(extra or {})
  return tf.train.Example(features=tf.train.Features(feature=feature))


def write_tfrecord_shards(examples: Iterable[tf.train.Example],
                          output_prefix: str, num_shards: int,
                          extension: str = ".tfrecord") -> List[str]:
  """Writes examples round-robin into `<prefix>-0000i-of-0000n<extension>`.

  Each shard is written to a temporary name and renamed when every example
  is written, so an interrupted run (or an error raised by `examples`)
  never leaves a truncated shard under a final name or replaces an earlier
  complete one; the temporary files are removed on error. Examples are
  serialized deterministically (features by key), so the same examples give
  the same bytes.

  Args:
    examples: the examples to write.
    output_prefix: path prefix of the shards; parent folders are created.
    num_shards: number of shard files, >= 1.
    extension: appended to each name ('' gives the TF OD API dataset
      tools' `name.record-00000-of-00010` with prefix 'name.record').

  Returns:
    The shard paths, in order.
  """
  if num_shards < 1:
    raise ValueError("num_shards must be >= 1, got %d" % num_shards)
  tf.io.gfile.makedirs(os.path.dirname(output_prefix) or ".")
  paths = ["%s-%05d-of-%05d%s" % (output_prefix, i, num_shards, extension)
           for i in range(num_shards)]
  temporary = [p + ".tmp" for p in paths]
  writers = [tf.io.TFRecordWriter(p) for p in temporary]
  try:
    for index, example in enumerate(examples):
      writers[index % num_shards].write(
          example.SerializeToString(deterministic=True))
  except BaseException:
    for writer, path in zip(writers, temporary):
      writer.close()
      tf.io.gfile.remove(path)
    raise
  for writer in writers:
    writer.close()
  for tmp, final in zip(temporary, paths):
    tf.io.gfile.rename(tmp, final, overwrite=True)
  return paths
