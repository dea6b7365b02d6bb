"""Images to run a detector on: files, globs and TFRecords of tf.Examples.

    sources = image_sources.expand(["photos/*.jpg", "val.tfrecord"])
    for image in image_sources.read(sources, max_images=16):
      image.name, image.encoded, image.example  # example: None for files

A path ending in .tfrecord or .record (or holding '.tfrecord-' or
'.record-', as sharded names do) is read as TFRecords of tf.Examples whose
image/encoded is the image; anything else is an image file.
"""

import dataclasses
import os
import re
from typing import Iterator, List, Optional, Sequence

import tensorflow as tf

from object_detection.utils import file_io

_RECORD = re.compile(r"\.(tf)?record(-|$)")


@dataclasses.dataclass
class Image:
  """One input image: a name for its output, its encoded bytes, and the
  serialized tf.Example it came from (None for an image file)."""
  name: str
  encoded: bytes
  example: Optional[bytes] = None


def is_record_file(path: str) -> bool:
  return bool(_RECORD.search(os.path.basename(path)))


def expand(patterns: Sequence[str]) -> List[str]:
  """Sorted paths of each pattern, in order; ValueError for one with none."""
  paths = []
  for pattern in patterns:
    matched = sorted(file_io.glob(pattern))
    if not matched:
      raise ValueError("--input %r: no such file" % pattern)
    paths.extend(p for p in matched if not tf.io.gfile.isdir(p))
  return paths


def _example_image(serialized: bytes, path: str, index: int) -> Image:
  example = tf.train.Example.FromString(serialized)
  feature = example.features.feature
  encoded = feature["image/encoded"].bytes_list.value
  if not encoded:
    raise ValueError("%s: record %d has no image/encoded" % (path, index))
  name = ""
  for key in ("image/filename", "image/source_id"):
    values = feature[key].bytes_list.value if key in feature else []
    if values and values[0]:
      name = os.path.splitext(os.path.basename(values[0].decode("utf-8")))[0]
      break
  if not name:
    name = "%s-%d" % (os.path.basename(path).split(".")[0], index)
  return Image(name, encoded[0], serialized)


def read(paths: Sequence[str], max_images: Optional[int] = None
         ) -> Iterator[Image]:
  """The images of `paths` in order, at most `max_images` of them."""
  count = 0
  for path in paths:
    if is_record_file(path):
      records = enumerate(tf.data.TFRecordDataset(path).as_numpy_iterator())
      images = (_example_image(r, path, i) for i, r in records)
    else:
      images = iter([Image(os.path.splitext(os.path.basename(path))[0],
                           file_io.read_bytes(path))])
    for image in images:
      if max_images is not None and count >= max_images:
        return
      count += 1
      yield image
