"""An exported model as a detector of images, and drawing its detections.

    model = ExportedDetector("exported")       # or exported/saved_model
    image, detections = model.detect(encoded_png_bytes)
    annotated = draw(image, detections, model.category_index())

`detect` feeds the export's serving signature what its input type takes
(a uint8 or float32 image batch of one, the encoded bytes, or a tf.Example)
and returns numpy arrays of the one image: the export's output keys with
the batch dimension removed, detection_classes as int64 label map ids, and
detection_masks pasted into the image as uint8 0/1 [D, height, width].
"""

import io
import os
import sys
import time
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import PIL.Image
import tensorflow as tf

from object_detection.core import standard_fields as fields
from object_detection.data import tf_example_writer
from object_detection.inference import image_sources
from object_detection.utils import config_util
from object_detection.utils import file_io
from object_detection.utils import label_map_util
from object_detection.utils import ops
from object_detection.utils import visualization_utils as vis_util

_DETECTIONS = fields.DetectionResultFields
_PARSE_OPS = ("ParseExample", "ParseExampleV2", "ParseSingleExample")
# Box-relative mask probabilities above this are inside the object.
MASK_THRESHOLD = 0.5


def _input_kind(signature) -> str:
  """'uint8', 'float32', 'encoded' or 'tf_example' of a serving signature."""
  spec = list(signature.structured_input_signature[1].values())[0]
  if spec.dtype != tf.string:
    return spec.dtype.name
  graph = signature.graph.as_graph_def()
  ops_used = {n.op for n in graph.node}
  ops_used.update(n.op for f in graph.library.function for n in f.node_def)
  return "tf_example" if ops_used.intersection(_PARSE_OPS) else "encoded"


def decode_image(encoded: bytes, name: str) -> np.ndarray:
  """uint8 [height, width, 3] RGB of PNG/JPEG/... bytes; ValueError if not."""
  try:
    return np.array(PIL.Image.open(io.BytesIO(encoded)).convert("RGB"))
  except (OSError, SyntaxError) as error:
    raise ValueError("%s: not an image (%s)" % (name, error)) from None


class ExportedDetector:
  """Loads an export and runs it on one image at a time.

  Args:
    path: exporter_main_v2's output directory or its saved_model folder.

  Raises:
    ValueError: `path` holds no SavedModel with a serving_default signature.
  """

  def __init__(self, path: str):
    saved_model = os.path.join(path, "saved_model")
    if not tf.io.gfile.exists(os.path.join(saved_model, "saved_model.pb")):
      saved_model = path
    if not tf.io.gfile.exists(os.path.join(saved_model, "saved_model.pb")):
      raise ValueError("%s: not an export (no saved_model.pb there or in "
                       "its saved_model folder)" % path)
    self._export_dir = os.path.dirname(os.path.normpath(saved_model))
    self._model = tf.saved_model.load(saved_model)
    if "serving_default" not in self._model.signatures:
      raise ValueError("%s: the SavedModel has no serving_default signature"
                       % saved_model)
    self._signature = self._model.signatures["serving_default"]
    self.input_kind = _input_kind(self._signature)

  def pipeline_config_path(self) -> Optional[str]:
    """The export's pipeline.config, if it has one."""
    path = os.path.join(self._export_dir, "pipeline.config")
    return path if tf.io.gfile.exists(path) else None

  def category_index(self, label_map_path: Optional[str] = None
                     ) -> Dict[int, dict]:
    """Classes by id: `label_map_path`, else the export's label map."""
    num_classes = None
    config_path = self.pipeline_config_path()
    if config_path:
      configs = config_util.get_configs_from_pipeline_file(config_path)
      num_classes = config_util.get_number_of_classes(configs["model"])
      if not label_map_path:
        readers = list(configs["eval_input_configs"]) + [
            configs["train_input_config"]]
        label_map_path = next((r.label_map_path for r in readers
                               if r.label_map_path and
                               tf.io.gfile.exists(r.label_map_path)), None)
    if label_map_path:
      return label_map_util.create_category_index_from_labelmap(
          label_map_path, use_display_name=True)
    categories = label_map_util.convert_label_map_to_categories(
        None, num_classes or 90, use_display_name=True)
    return label_map_util.create_category_index(categories)

  def detect(self, encoded: bytes, name: str = "image",
             example: Optional[bytes] = None
             ) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """(uint8 image, detections of it) for encoded image bytes.

    Args:
      encoded: PNG, JPEG, BMP or GIF bytes.
      name: for error messages.
      example: the serialized tf.Example holding `encoded`, fed to a
        tf_example export as it is (one is made when None).
    """
    image = decode_image(encoded, name)
    if self.input_kind == "uint8":
      batch = tf.constant(image[np.newaxis])
    elif self.input_kind == "float32":
      batch = tf.constant(image[np.newaxis].astype(np.float32))
    elif self.input_kind == "encoded":
      batch = tf.constant([encoded])
    else:
      if example is None:
        example = tf_example_writer.encode_detection_example(
            image, np.zeros([0, 4], np.float32), np.zeros([0], np.int64), {},
            name).SerializeToString()
      batch = tf.constant([example])
    outputs = self._signature(input_tensor=batch)
    return image, _one_image(outputs, image.shape[0], image.shape[1])


def _one_image(outputs: Mapping[str, tf.Tensor], height: int, width: int
               ) -> Dict[str, np.ndarray]:
  """The first image's detections, masks pasted into the image."""
  count = int(outputs[_DETECTIONS.num_detections][0])
  detections = {}
  for key, value in outputs.items():
    value = value[0]
    if key in (_DETECTIONS.num_detections, _DETECTIONS.raw_detection_boxes,
               _DETECTIONS.raw_detection_scores):
      detections[key] = value.numpy()
    else:
      detections[key] = value[:count].numpy()
  detections[_DETECTIONS.detection_classes] = detections[
      _DETECTIONS.detection_classes].astype(np.int64)
  if _DETECTIONS.detection_masks in outputs:
    masks = ops.reframe_box_masks_to_image_masks(
        outputs[_DETECTIONS.detection_masks][0][:count],
        outputs[_DETECTIONS.detection_boxes][0][:count], height, width)
    detections[_DETECTIONS.detection_masks] = (
        masks.numpy() > MASK_THRESHOLD).astype(np.uint8)
  return detections


def draw(image: np.ndarray, detections: Mapping[str, np.ndarray],
         category_index, min_score_thresh: float = 0.5,
         max_boxes_to_draw: int = 20, line_thickness: int = 2) -> np.ndarray:
  """A copy of `image` with the detections of `detect` drawn on it."""
  annotated = image.copy()
  vis_util.visualize_boxes_and_labels_on_image_array(
      annotated, detections[_DETECTIONS.detection_boxes],
      detections[_DETECTIONS.detection_classes],
      detections[_DETECTIONS.detection_scores], category_index,
      instance_masks=detections.get(_DETECTIONS.detection_masks),
      use_normalized_coordinates=True, min_score_thresh=min_score_thresh,
      max_boxes_to_draw=max_boxes_to_draw, line_thickness=line_thickness)
  return annotated


def _unique_name(name: str, taken: set) -> str:
  candidate, index = name, 1
  while candidate in taken:
    candidate, index = "%s_%d" % (name, index), index + 1
  taken.add(candidate)
  return candidate


def annotate_all(model: ExportedDetector,
                 images: Sequence[image_sources.Image], category_index,
                 output_dir: str, min_score_thresh: float = 0.5,
                 max_boxes_to_draw: int = 20, line_thickness: int = 2,
                 stream=None) -> List[Tuple[str, np.ndarray]]:
  """Detects, draws and writes <output_dir>/<name>.png for each image.

  Prints one progress line per image (to `stream`, default stdout).

  Returns:
    (path, annotated image) per image, in order.
  """
  stream = stream or sys.stdout
  tf.io.gfile.makedirs(output_dir)
  written, taken = [], set()
  started = time.perf_counter()
  for index, source in enumerate(images, start=1):
    image, detections = model.detect(source.encoded, source.name,
                                     source.example)
    annotated = draw(image, detections, category_index, min_score_thresh,
                     max_boxes_to_draw, line_thickness)
    path = os.path.join(output_dir, _unique_name(source.name, taken) + ".png")
    _write_png(annotated, path)
    written.append((path, annotated))
    shown = int(np.sum(detections[_DETECTIONS.detection_scores]
                       >= min_score_thresh))
    elapsed = time.perf_counter() - started
    stream.write("image %d  %s  %d detection(s) >= %.2f  %.2f s/image\n" % (
        index, path, shown, min_score_thresh, elapsed / index))
    stream.flush()
  if not written:
    raise ValueError("no image to run on")
  return written


def grid_image(images: Sequence[np.ndarray], columns: int = 4,
               gap: int = 4) -> np.ndarray:
  """The images in rows of `columns`, each cell the largest image's size."""
  if not images:
    raise ValueError("grid_image: no images")
  height = max(i.shape[0] for i in images)
  width = max(i.shape[1] for i in images)
  columns = min(columns, len(images))
  rows = -(-len(images) // columns)
  canvas = np.full([rows * (height + gap) - gap,
                    columns * (width + gap) - gap, 3], 255, np.uint8)
  for index, image in enumerate(images):
    top = (index // columns) * (height + gap)
    left = (index % columns) * (width + gap)
    canvas[top:top + image.shape[0], left:left + image.shape[1]] = image
  return canvas


def write_grid(images: Sequence[np.ndarray], path: str,
               columns: int = 4) -> str:
  """Writes grid_image(images, columns) to `path` as PNG."""
  directory = os.path.dirname(path)
  if directory:
    tf.io.gfile.makedirs(directory)
  _write_png(grid_image(images, columns), path)
  return path


def _write_png(image: np.ndarray, path: str) -> None:
  file_io.write_bytes_atomically(path,
                                 vis_util.encode_image_array_as_png_str(image))
