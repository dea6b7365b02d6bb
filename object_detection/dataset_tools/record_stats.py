"""What TFRecords of detection tf.Examples hold: counts, keys, classes, boxes.

    stats = record_stats.RecordStats()
    for path, index, example in record_stats.read_examples(paths):
      stats.add(path, example)
    print(stats.report())

Works on the raw tf.train.Example protos, so it describes any record of the
TF OD API layout (and shows keys the decoder would ignore).
"""

import collections
import dataclasses
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

_KINDS = ("bytes_list", "float_list", "int64_list")
# COCO's object size ranges, by area in pixels.
SMALL_AREA = 32 ** 2
MEDIUM_AREA = 96 ** 2


def read_examples(paths: Sequence[str], max_records: Optional[int] = None
                  ) -> Iterator[Tuple[str, int, tf.train.Example]]:
  """(path, index in file, example) of every record, in order.

  Raises:
    ValueError: a truncated or corrupt record, or one that is not a
      tf.train.Example, naming the file and the record's index.
  """
  count = 0
  for path in paths:
    iterator = iter(tf.data.TFRecordDataset(path).as_numpy_iterator())
    index = 0
    while max_records is None or count < max_records:
      try:
        record = next(iterator)
      except StopIteration:
        break
      except tf.errors.DataLossError as error:
        raise ValueError("%s: record %d is corrupt or truncated (%s)" % (
            path, index, error.message.splitlines()[0])) from None
      try:
        example = tf.train.Example.FromString(record)
      except Exception:  # pylint: disable=broad-except
        raise ValueError("%s: record %d is not a tf.train.Example" % (
            path, index)) from None
      yield path, index, example
      index += 1
      count += 1


def _values(feature: tf.train.Feature) -> list:
  kind = feature.WhichOneof("kind")
  return list(getattr(feature, kind).value) if kind else []


def _summary(values: Sequence[float]) -> str:
  if not len(values):
    return "none"
  array = np.asarray(values, np.float64)
  return "min %.1f  median %.1f  mean %.1f  max %.1f" % (
      array.min(), np.median(array), array.mean(), array.max())


@dataclasses.dataclass
class RecordStats:
  """Accumulates what a set of records holds."""
  records_per_file: Dict[str, int] = dataclasses.field(
      default_factory=collections.OrderedDict)
  keys: collections.Counter = dataclasses.field(
      default_factory=collections.Counter)
  key_kinds: Dict[str, str] = dataclasses.field(default_factory=dict)
  classes: collections.Counter = dataclasses.field(
      default_factory=collections.Counter)
  class_texts: Dict[int, str] = dataclasses.field(default_factory=dict)
  box_widths: List[float] = dataclasses.field(default_factory=list)
  box_heights: List[float] = dataclasses.field(default_factory=list)
  image_sizes: collections.Counter = dataclasses.field(
      default_factory=collections.Counter)
  instances_per_image: List[int] = dataclasses.field(default_factory=list)
  with_masks: int = 0

  def add(self, path: str, example: tf.train.Example) -> None:
    """Counts one example of file `path`."""
    self.records_per_file[path] = self.records_per_file.get(path, 0) + 1
    feature = example.features.feature
    for key, value in feature.items():
      self.keys[key] += 1
      self.key_kinds.setdefault(key, value.WhichOneof("kind") or "empty")

    def get(key):
      return _values(feature[key]) if key in feature else []

    height = (get("image/height") or [0])[0]
    width = (get("image/width") or [0])[0]
    self.image_sizes[(int(width), int(height))] += 1
    labels = [int(v) for v in get("image/object/class/label")]
    texts = [v.decode("utf-8", "replace")
             for v in get("image/object/class/text")]
    self.classes.update(labels)
    for label, text in zip(labels, texts):
      self.class_texts.setdefault(label, text)
    xmin, xmax = get("image/object/bbox/xmin"), get("image/object/bbox/xmax")
    ymin, ymax = get("image/object/bbox/ymin"), get("image/object/bbox/ymax")
    self.instances_per_image.append(len(xmin))
    self.box_widths.extend((b - a) * width for a, b in zip(xmin, xmax))
    self.box_heights.extend((b - a) * height for a, b in zip(ymin, ymax))
    if get("image/object/mask"):
      self.with_masks += 1

  @property
  def num_records(self) -> int:
    return sum(self.records_per_file.values())

  def report(self, class_names: Optional[Dict[int, str]] = None) -> str:
    """The statistics as text."""
    names = dict(self.class_texts)
    names.update(class_names or {})
    lines = ["%d records in %d file(s)" % (self.num_records,
                                           len(self.records_per_file))]
    lines += ["  %6d  %s" % (n, p) for p, n in self.records_per_file.items()]
    lines.append("keys (records holding each, value type):")
    lines += ["  %6d  %-40s %s" % (self.keys[k], k, self.key_kinds[k])
              for k in sorted(self.keys)]
    lines.append("instances per class:")
    lines += ["  %6d  %d %s" % (self.classes[c], c, names.get(c, ""))
              for c in sorted(self.classes)]
    areas = np.asarray(self.box_widths) * np.asarray(self.box_heights)
    lines.append("boxes: %d; width px: %s" % (len(areas),
                                              _summary(self.box_widths)))
    lines.append("       height px: %s" % _summary(self.box_heights))
    if len(areas):
      lines.append("       small (< 32^2 px) %d, medium %d, large "
                   "(>= 96^2 px) %d" % (
                       np.sum(areas < SMALL_AREA),
                       np.sum((areas >= SMALL_AREA) & (areas < MEDIUM_AREA)),
                       np.sum(areas >= MEDIUM_AREA)))
    lines.append("instances per image: %s" % _summary(
        self.instances_per_image))
    sizes = ", ".join("%dx%d (%d)" % (w, h, n)
                      for (w, h), n in self.image_sizes.most_common(5))
    lines.append("image sizes (width x height, most common): %s" % sizes)
    lines.append("records with instance masks: %d" % self.with_masks)
    return "\n".join(lines)
