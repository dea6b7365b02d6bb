"""Ground-truth boxes in the network's input frame, and the config's anchors.

    truth = read_ground_truth(configs, max_examples=500)
    anchors = config_anchors(configs, model_shapes, (height, width))

Boxes are read through the config's own decoder (dataset_builder, the
train_input_reader or another input path) and image resizer, so they are
in absolute pixels of the (padded) image the network sees. Anchors are the
first stage's as training makes them (make_anchors of the meta-
architecture, anchors crossing the border dropped unless
clip_anchors_to_image), over the feature-map sizes of the built feature
extractor for that input size.
"""

import dataclasses
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import tensorflow as tf

from object_detection.builders import anchor_generator_builder
from object_detection.builders import dataset_builder
from object_detection.builders import image_resizer_builder
from object_detection.builders import model_builder
from object_detection.core import standard_fields as fields
from object_detection.data import record_errors
from object_detection.meta_architectures import faster_rcnn_meta_arch as meta

_INPUTS = fields.InputDataFields
ANCHOR_PATH = "model.faster_rcnn.first_stage_anchor_generator"
# The first stage's matcher (target_assigner's FasterRCNN proposal one):
# IoU >= 0.7 makes an anchor a positive.
FIRST_STAGE_MATCHED_THRESHOLD = 0.7

Shape = Tuple[int, int]


@dataclasses.dataclass
class GroundTruth:
  """Boxes of the data, absolute [ymin, xmin, ymax, xmax] input pixels."""
  boxes: np.ndarray  # float32 [N, 4]
  classes: np.ndarray  # int64 [N]
  image_index: np.ndarray  # int64 [N]: which image each box is in
  source_ids: List[str]  # per image
  input_shapes: List[Shape]  # per image: the padded input (height, width)


def faster_rcnn_config(configs):
  """The model's faster_rcnn message; ValueError for another model."""
  model = configs["model"]
  if model.WhichOneof("model") != "faster_rcnn":
    raise ValueError("model: anchor analysis needs a faster_rcnn model with "
                     "a first_stage_anchor_generator, got %s" %
                     model.WhichOneof("model"))
  if not model.faster_rcnn.first_stage_anchor_generator.WhichOneof(
      "anchor_generator_oneof"):
    raise ValueError("%s: not set" % ANCHOR_PATH)
  return model.faster_rcnn


def read_ground_truth(configs, input_path: Optional[str] = None,
                      max_examples: Optional[int] = None) -> GroundTruth:
  """The ground-truth boxes of the training input (or `input_path`).

  Raises:
    ValueError: an input path matching no file, a bad record (both named),
      or no boxes at all.
  """
  faster_rcnn = faster_rcnn_config(configs)
  reader = type(configs["train_input_config"])()
  reader.CopyFrom(configs["train_input_config"])
  if input_path:
    del reader.tf_record_input_reader.input_path[:]
    reader.tf_record_input_reader.input_path.extend(input_path.split(","))
  reader.shuffle = False
  reader.num_epochs = 1
  reader.num_readers = 1  # file by file, in order
  reader.load_instance_masks = False
  resize = image_resizer_builder.build(faster_rcnn.image_resizer,
                                       path="model.faster_rcnn.image_resizer")

  def transform(tensors):
    resized = resize(tf.cast(tensors[_INPUTS.image], tf.float32))
    true_shape = tf.cast(resized[-1], tf.float32)
    scale = tf.stack([true_shape[0], true_shape[1]] * 2)
    return {"boxes": tensors[_INPUTS.groundtruth_boxes] * scale,
            "classes": tensors[_INPUTS.groundtruth_classes],
            "source_id": tensors[_INPUTS.source_id],
            "input_shape": tf.shape(resized[0])[:2]}

  dataset = dataset_builder.build(
      reader, transform_input_data_fn=transform,
      num_classes=faster_rcnn.num_classes, path="train_input_reader")
  if max_examples:
    dataset = dataset.take(max_examples)
  checker = dataset_builder.build_decoder(
      reader, faster_rcnn.num_classes).find_record_error
  boxes, classes, index, source_ids, shapes = [], [], [], [], []
  for number, element in enumerate(record_errors.iterate(
      dataset, list(reader.tf_record_input_reader.input_path),
      record_checker=checker)):
    boxes.append(element["boxes"].numpy())
    classes.append(element["classes"].numpy())
    index.append(np.full([len(boxes[-1])], number))
    source_ids.append(element["source_id"].numpy().decode("utf-8",
                                                          "replace"))
    shapes.append(tuple(int(v) for v in element["input_shape"].numpy()))
  if not boxes or not sum(len(b) for b in boxes):
    raise ValueError("%s: no ground-truth boxes in %d example(s)" % (
        ",".join(reader.tf_record_input_reader.input_path), len(boxes)))
  return GroundTruth(np.concatenate(boxes).astype(np.float32),
                     np.concatenate(classes).astype(np.int64),
                     np.concatenate(index).astype(np.int64), source_ids,
                     shapes)


def feature_map_shapes(configs, input_shapes: Sequence[Shape]
                       ) -> Dict[Shape, List[Shape]]:
  """Feature-map (height, width)s of the built extractor per input shape."""
  model = model_builder.build(configs["model"], is_training=False)
  found = {}
  for height, width in sorted(set(input_shapes)):
    predictions = model.predict(tf.zeros([1, height, width, 3]),
                                tf.constant([[height, width, 3]]))
    found[(height, width)] = [tuple(int(d) for d in f.shape[1:3])
                              for f in predictions[meta.FEATURE_MAPS]]
  return found


@dataclasses.dataclass
class AnchorSet:
  """Training's anchors of one input shape."""
  anchors: np.ndarray  # float32 [A, 4] absolute, the valid ones
  per_level: List[int]  # valid anchors of each feature map
  per_level_total: List[int]  # all anchors of each feature map
  level_shapes: List[np.ndarray]  # float [n, 2] (height, width) per level

  @property
  def total(self) -> int:
    """Anchors per image: what the first stage computes and scores."""
    return int(sum(self.per_level_total))

  @property
  def valid(self) -> int:
    """Anchors training matches (the others cross the image border)."""
    return int(sum(self.per_level))


def with_levels(configs, min_level: int, max_level: int):
  """A copy of configs with the multiscale and fpn levels changed."""
  model = type(configs["model"])()
  model.CopyFrom(configs["model"])
  faster_rcnn = model.faster_rcnn
  for message in (faster_rcnn.first_stage_anchor_generator
                  .multiscale_anchor_generator, faster_rcnn.feature_extractor
                  .fpn):
    message.min_level, message.max_level = min_level, max_level
  return dict(configs, model=model)


def anchors_of(anchor_generator_config, clip_anchors_to_image: bool,
               shapes: Sequence[Shape], input_shape: Shape) -> AnchorSet:
  """Training's anchors of a generator config over feature maps `shapes`.

  Raises:
    ValueError: the generator's layers do not match the feature maps.
  """
  generator = anchor_generator_builder.build(anchor_generator_config)
  per_location = generator.num_anchors_per_location()
  if len(per_location) != len(shapes):
    raise ValueError("%s: %d anchor layers for %d feature maps" % (
        ANCHOR_PATH, len(per_location), len(shapes)))
  anchors, valid = meta.make_anchors(
      generator, [list(s) for s in shapes], input_shape, is_training=True,
      clip_anchors_to_image=clip_anchors_to_image)
  anchors = anchors.numpy()
  counts = [h * w * n for (h, w), n in zip(shapes, per_location)]
  totals = list(counts)
  level = np.repeat(np.arange(len(counts)), counts)
  # One cell's anchors per level (the first cell's, before any clipping).
  raw = np.concatenate([b.get().numpy() for b in meta.generate_anchors(
      generator, [list(s) for s in shapes], input_shape)])
  starts = np.cumsum([0] + counts[:-1])
  level_shapes = [np.stack([raw[s:s + n, 2] - raw[s:s + n, 0],
                            raw[s:s + n, 3] - raw[s:s + n, 1]], axis=1)
                  for s, n in zip(starts, per_location)]
  if valid is not None:
    valid = valid.numpy()
    counts = [int(np.sum(valid[level == i])) for i in range(len(counts))]
    anchors = anchors[valid]
  return AnchorSet(anchors.astype(np.float32), counts, totals, level_shapes)
