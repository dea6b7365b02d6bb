"""COCO-format annotations to tf.Examples of the TF OD API record layout.

    dataset = coco_conversion.load_dataset("instances_val2017.json")
    examples = coco_conversion.examples(dataset, "val2017/",
                                        include_masks=True)
    tf_example_writer.write_tfrecord_shards(examples, "out/coco_val.record",
                                            50, extension="")

Each image becomes one example: the image file's bytes as they are,
image/height, width, filename, source_id (the COCO image id), key/sha256,
format, and per object the normalised box, class/label (the COCO category
id) and class/text, is_crowd, area and, with include_masks, a PNG mask
(polygons and RLE, crowd RLE included, rasterised by pycocotools).

The whole annotation file is checked before any image is read, and every
error names the record: an annotation whose image or category id is
unknown, whose box or polygon lies outside its image (beyond half a pixel),
or whose RLE size is not its image's; an image whose file is missing or
whose size is not the one the file records. Boxes of zero width or height
are skipped and counted, as the TF OD API's tool does.
"""

import collections
import dataclasses
import hashlib
import io
import json
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import PIL.Image
from pycocotools import mask as mask_util
import tensorflow as tf

from object_detection.data import tf_example_writer
from object_detection.utils import file_io

# Coordinates may exceed the image by this much (COCO's own polygons reach
# the image's edge, e.g. x = width, and a little past it after rounding).
TOLERANCE = 0.5


class CocoFormatError(ValueError):
  """An annotation file or image that cannot be converted."""


@dataclasses.dataclass
class Dataset:
  """A checked COCO annotation file."""
  path: str
  images: List[Dict[str, Any]]
  categories: Dict[int, str]  # id -> name
  annotations: Dict[int, List[Dict[str, Any]]]  # image id -> annotations


@dataclasses.dataclass
class Counts:
  """What a conversion wrote and skipped."""
  images: int = 0
  objects: int = 0
  crowd: int = 0
  skipped_empty_boxes: int = 0
  per_category: collections.Counter = dataclasses.field(
      default_factory=collections.Counter)


def _read_json(path: str) -> Dict[str, Any]:
  try:
    text = file_io.read_bytes(path).decode("utf-8")
  except FileNotFoundError:
    raise CocoFormatError("%s: no such file" % path) from None
  try:
    data = json.loads(text)
  except json.JSONDecodeError as error:
    raise CocoFormatError("%s:%d:%d: not JSON: %s" % (
        path, error.lineno, error.colno, error.msg)) from None
  if not isinstance(data, dict):
    raise CocoFormatError("%s: expected a JSON object" % path)
  return data


def _where(path: str, annotation: Dict[str, Any], index: int) -> str:
  return "%s: annotation id %s (annotations[%d], image id %s)" % (
      path, annotation.get("id"), index, annotation.get("image_id"))


def _require(record: Dict[str, Any], keys: Sequence[str], where: str) -> None:
  missing = [k for k in keys if k not in record]
  if missing:
    raise CocoFormatError("%s: missing %s" % (where, ", ".join(missing)))


def load_dataset(path: str, require_annotations: bool = True) -> Dataset:
  """Reads and checks a COCO annotation file.

  Args:
    path: the JSON file (instances_*.json, or image_info_*.json without
      annotations when require_annotations is False).
    require_annotations: the file must have an 'annotations' list.

  Raises:
    CocoFormatError: naming the file and the record at fault.
  """
  data = _read_json(path)
  keys = ["images", "categories"] + (["annotations"] if require_annotations
                                     else [])
  _require(data, keys, path)
  categories = {}
  for index, category in enumerate(data["categories"]):
    _require(category, ["id", "name"], "%s: categories[%d]" % (path, index))
    categories[int(category["id"])] = str(category["name"])
  images, sizes = [], {}
  for index, image in enumerate(data["images"]):
    where = "%s: images[%d]" % (path, index)
    _require(image, ["id", "file_name", "height", "width"], where)
    if image["id"] in sizes:
      raise CocoFormatError("%s: image id %s appears twice" % (where,
                                                               image["id"]))
    sizes[image["id"]] = (int(image["height"]), int(image["width"]))
    images.append(image)
  by_image = collections.defaultdict(list)
  for index, annotation in enumerate(data.get("annotations", [])):
    where = _where(path, annotation, index)
    _require(annotation, ["image_id", "category_id", "bbox"], where)
    if annotation["image_id"] not in sizes:
      raise CocoFormatError("%s: image id %s is not in images" % (
          where, annotation["image_id"]))
    if annotation["category_id"] not in categories:
      raise CocoFormatError("%s: category_id %s is not in categories (%s)"
                            % (where, annotation["category_id"],
                               sorted(categories)))
    _check_geometry(annotation, sizes[annotation["image_id"]], where)
    by_image[annotation["image_id"]].append(annotation)
  return Dataset(path, images, categories, dict(by_image))


def _check_geometry(annotation: Dict[str, Any], size: Tuple[int, int],
                    where: str) -> None:
  """The box and segmentation lie inside the height x width image."""
  height, width = size
  bbox = annotation["bbox"]
  if len(bbox) != 4:
    raise CocoFormatError("%s: bbox must be [x, y, width, height], got %s"
                          % (where, bbox))
  x, y, w, h = (float(v) for v in bbox)
  if (min(x, y, w, h) < -TOLERANCE or x + w > width + TOLERANCE
      or y + h > height + TOLERANCE):
    raise CocoFormatError("%s: bbox %s lies outside the %dx%d (width x "
                          "height) image" % (where, bbox, width, height))
  segmentation = annotation.get("segmentation")
  if isinstance(segmentation, list):
    for polygon in segmentation:
      if len(polygon) < 6 or len(polygon) % 2:
        raise CocoFormatError("%s: a polygon needs 3 or more (x, y) points, "
                              "got %d numbers" % (where, len(polygon)))
      points = np.asarray(polygon, np.float64).reshape(-1, 2)
      outside = ((points < -TOLERANCE).any(axis=1)
                 | (points[:, 0] > width + TOLERANCE)
                 | (points[:, 1] > height + TOLERANCE))
      if outside.any():
        raise CocoFormatError(
            "%s: polygon point (%g, %g) lies outside the %dx%d (width x "
            "height) image" % ((where,) + tuple(points[outside][0]) +
                               (width, height)))
  elif isinstance(segmentation, dict):
    if list(segmentation.get("size", [])) != [height, width]:
      raise CocoFormatError("%s: RLE size %s is not the image's [%d, %d]" % (
          where, segmentation.get("size"), height, width))
  elif segmentation is not None:
    raise CocoFormatError("%s: segmentation must be polygons or RLE" % where)


def instance_mask(annotation: Dict[str, Any], height: int,
                  width: int) -> np.ndarray:
  """uint8 [height, width] 0/1 mask of a polygon or RLE segmentation."""
  segmentation = annotation["segmentation"]
  if isinstance(segmentation, list):
    rle = mask_util.merge(mask_util.frPyObjects(segmentation, height, width))
  elif isinstance(segmentation["counts"], list):  # uncompressed (crowd)
    rle = mask_util.frPyObjects(segmentation, height, width)
  else:
    rle = dict(segmentation)
    if isinstance(rle["counts"], str):
      rle["counts"] = rle["counts"].encode("ascii")
  return np.asarray(mask_util.decode(rle), np.uint8)


def _read_image(image_dir: str, image: Dict[str, Any], path: str
                ) -> Tuple[bytes, str]:
  """(file bytes, format) of an image record, its size checked."""
  where = "%s: image id %s (file_name %r)" % (path, image["id"],
                                               image["file_name"])
  file_path = os.path.join(image_dir, image["file_name"])
  try:
    encoded = file_io.read_bytes(file_path)
  except FileNotFoundError:
    raise CocoFormatError("%s: no such file %s" % (where, file_path)) from None
  try:
    with PIL.Image.open(io.BytesIO(encoded)) as opened:
      size, image_format = opened.size, (opened.format or "").lower()
  except (OSError, SyntaxError) as error:
    raise CocoFormatError("%s: not an image (%s)" % (where, error)) from None
  if size != (int(image["width"]), int(image["height"])):
    raise CocoFormatError("%s: the file is %dx%d, the annotations say %dx%d"
                          " (width x height)" % ((where,) + size + (
                              image["width"], image["height"])))
  return encoded, image_format


def image_example(dataset: Dataset, image: Dict[str, Any], image_dir: str,
                  include_masks: bool, counts: Optional[Counts] = None
                  ) -> tf.train.Example:
  """The tf.train.Example of one image record and its annotations."""
  counts = counts if counts is not None else Counts()
  encoded, image_format = _read_image(image_dir, image, dataset.path)
  height, width = int(image["height"]), int(image["width"])
  boxes, classes, crowd, areas, masks = [], [], [], [], []
  for annotation in dataset.annotations.get(image["id"], []):
    x, y, w, h = (float(v) for v in annotation["bbox"])
    if w <= 0 or h <= 0:
      counts.skipped_empty_boxes += 1
      continue
    boxes.append([max(y, 0.0), max(x, 0.0), min(y + h, height),
                  min(x + w, width)])
    classes.append(int(annotation["category_id"]))
    crowd.append(int(annotation.get("iscrowd", 0)))
    areas.append(float(annotation.get("area", w * h)))
    if include_masks:
      if annotation.get("segmentation") is None:
        raise CocoFormatError("%s: annotation id %s (image id %s): "
                              "--include_masks needs a segmentation" % (
                                  dataset.path, annotation.get("id"),
                                  image["id"]))
      masks.append(instance_mask(annotation, height, width))
  counts.images += 1
  counts.objects += len(boxes)
  counts.crowd += sum(crowd)
  counts.per_category.update(classes)
  extra = {
      "image/key/sha256": tf_example_writer.bytes_feature(
          [hashlib.sha256(encoded).hexdigest().encode()]),
      "image/object/is_crowd": tf_example_writer.int64_feature(crowd),
      "image/object/area": tf_example_writer.float_feature(areas),
  }
  return tf_example_writer.encode_encoded_example(
      encoded, image_format, height, width,
      np.asarray(boxes, np.float32).reshape(-1, 4), classes,
      dataset.categories, str(image["id"]), filename=image["file_name"],
      masks=masks if include_masks else None, extra=extra)


def examples(dataset: Dataset, image_dir: str, include_masks: bool,
             counts: Optional[Counts] = None) -> Iterator[tf.train.Example]:
  """The examples of every image of `dataset`, in file order."""
  for image in dataset.images:
    yield image_example(dataset, image, image_dir, include_masks, counts)


def label_map_text(categories: Dict[int, str]) -> str:
  """A label map (pbtxt) of COCO categories, by id."""
  items = []
  for category_id in sorted(categories):
    name = json.dumps(categories[category_id], ensure_ascii=False)
    items.append("item {\n  id: %d\n  name: %s\n  display_name: %s\n}\n" % (
        category_id, name, name))
  return "".join(items)
