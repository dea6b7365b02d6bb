"""Exports a trained detection model as a SavedModel.

    from object_detection import exporter_lib_v2
    exporter_lib_v2.export_inference_graph(
        "image_tensor", pipeline_config, "runs/shapes", "exported")

writes, as the TF OD API's exporter does:

    exported/saved_model/     the SavedModel (serving_default signature)
    exported/checkpoint/      ckpt-0 of the exported weights
    exported/pipeline.config  the pipeline the model was built from

The loaded model is called on a batch of inputs, `model(images)` or
`model.signatures["serving_default"](input_tensor=images)`, and returns
float32 tensors under the TF OD API's keys: detection_boxes [batch, D, 4]
normalised (ymin, xmin, ymax, xmax), detection_scores, detection_classes
(1-based label map ids), num_detections [batch],
detection_multiclass_scores, detection_anchor_indices, raw_detection_boxes,
raw_detection_scores and, for Mask R-CNN, detection_masks [batch, D,
mask_height, mask_width]: probabilities in box coordinates (paste them into
the image with utils.ops.reframe_box_masks_to_image_masks).

Where we differ on purpose: the batch size of every input type is free
(the TF OD API's TF2 exporter fixes it to 1), so a batch of several images
works when the image resizer gives every image one size
(fixed_shape_resizer, or keep_aspect_ratio_resizer with
pad_to_max_dimension); the weights are the moving averages when
eval_config.use_moving_averages is set and the optimizer kept them (as the
evaluation uses); an export is written beside the output and moved into
place only when complete, so a failed export leaves an earlier one intact.
"""

import logging
import os
import shutil
import tempfile
from typing import Dict

import tensorflow as tf

from object_detection.builders import model_builder
from object_detection.core import standard_fields as fields
from object_detection.data_decoders import tf_example_decoder
from object_detection.training import checkpoints
from object_detection.utils import config_util

_LOG = logging.getLogger(__name__)

INPUT_NAME = "input_tensor"
SAVED_MODEL_DIR = "saved_model"
CHECKPOINT_DIR = "checkpoint"
PIPELINE_FILE = "pipeline.config"
# label map ids start at 1; the model's classes at 0.
LABEL_ID_OFFSET = 1


class DetectionInferenceModule(tf.Module):
  """Runs preprocess, predict and postprocess of a detection model.

  Subclasses define `__call__` as a tf.function over one input type.

  Args:
    detection_model: a DetectionModel built with is_training=False.
  """

  def __init__(self, detection_model):
    super().__init__()
    self._model = detection_model

  @property
  def detection_model(self):
    return self._model

  def _run_inference_on_images(self, images: tf.Tensor
                               ) -> Dict[str, tf.Tensor]:
    """Detections of a [batch, height, width, 3] image batch (any dtype)."""
    preprocessed, shapes = self._model.preprocess(tf.cast(images, tf.float32))
    return self._detect(preprocessed, shapes)

  def _run_inference_on_strings(self, strings: tf.Tensor, decode_fn
                                ) -> Dict[str, tf.Tensor]:
    """Detections of a [batch] string batch: each decoded and resized."""
    def preprocess_one(string):
      image = tf.cast(decode_fn(string), tf.float32)
      preprocessed, shapes = self._model.preprocess(image[tf.newaxis])
      return preprocessed[0], shapes[0]

    with tf.device("cpu:0"):
      preprocessed, shapes = tf.map_fn(
          preprocess_one, strings,
          fn_output_signature=(tf.TensorSpec([None, None, 3], tf.float32),
                               tf.TensorSpec([3], tf.int32)))
    return self._detect(preprocessed, shapes)

  def _detect(self, preprocessed: tf.Tensor, shapes: tf.Tensor
              ) -> Dict[str, tf.Tensor]:
    predictions = self._model.predict(preprocessed, shapes)
    detections = self._model.postprocess(predictions, shapes)
    classes = fields.DetectionResultFields.detection_classes
    detections[classes] = (tf.cast(detections[classes], tf.float32)
                           + LABEL_ID_OFFSET)
    return {key: tf.cast(value, tf.float32)
            for key, value in detections.items()}


def _decode_image(encoded: tf.Tensor) -> tf.Tensor:
  image = tf.io.decode_image(encoded, channels=3, expand_animations=False)
  image.set_shape([None, None, 3])
  return image


def _decode_tf_example(serialized: tf.Tensor) -> tf.Tensor:
  decoded = tf_example_decoder.TfExampleDecoder().decode(serialized)
  return decoded[fields.InputDataFields.image]


class DetectionFromImageModule(DetectionInferenceModule):
  """uint8 [batch, height, width, 3] images."""

  @tf.function(input_signature=[
      tf.TensorSpec([None, None, None, 3], tf.uint8, name=INPUT_NAME)])
  def __call__(self, input_tensor):
    return self._run_inference_on_images(input_tensor)


class DetectionFromFloatImageModule(DetectionInferenceModule):
  """float32 [batch, height, width, 3] images with values in [0, 255]."""

  @tf.function(input_signature=[
      tf.TensorSpec([None, None, None, 3], tf.float32, name=INPUT_NAME)])
  def __call__(self, input_tensor):
    return self._run_inference_on_images(input_tensor)


class DetectionFromEncodedImageModule(DetectionInferenceModule):
  """string [batch] encoded PNG, JPEG, BMP or GIF images."""

  @tf.function(input_signature=[
      tf.TensorSpec([None], tf.string, name=INPUT_NAME)])
  def __call__(self, input_tensor):
    return self._run_inference_on_strings(input_tensor, _decode_image)


class DetectionFromTFExampleModule(DetectionInferenceModule):
  """string [batch] serialized tf.Examples (image/encoded is used)."""

  @tf.function(input_signature=[
      tf.TensorSpec([None], tf.string, name=INPUT_NAME)])
  def __call__(self, input_tensor):
    return self._run_inference_on_strings(input_tensor, _decode_tf_example)


DETECTION_MODULE_MAP = {
    "image_tensor": DetectionFromImageModule,
    "float_image_tensor": DetectionFromFloatImageModule,
    "encoded_image_string_tensor": DetectionFromEncodedImageModule,
    "tf_example": DetectionFromTFExampleModule,
}


def _build_probe(model_config) -> tf.Tensor:
  """A zero image batch of the resizer's size, to create the variables."""
  resizer = model_config.WhichOneof("model")
  size = config_util.get_spatial_image_size(
      getattr(model_config, resizer).image_resizer)
  height, width = [s if s > 0 else 256 for s in size]
  return tf.zeros([1, height, width, 3], tf.float32)


def build_detection_module(input_type: str, pipeline_config,
                           trained_checkpoint_dir: str
                           ) -> DetectionInferenceModule:
  """The inference module of `input_type` with the trained weights.

  Args:
    input_type: a key of DETECTION_MODULE_MAP.
    pipeline_config: a TrainEvalPipelineConfig.
    trained_checkpoint_dir: a training model_dir (its newest checkpoint) or
      a checkpoint prefix.

  Raises:
    ValueError: an unknown input type, or no checkpoint there.
  """
  if input_type not in DETECTION_MODULE_MAP:
    raise ValueError("input_type: %r is not one of %s" % (
        input_type, ", ".join(sorted(DETECTION_MODULE_MAP))))
  prefix = checkpoints.resolve_checkpoint(trained_checkpoint_dir,
                                          "trained_checkpoint_dir")
  configs = config_util.create_configs_from_pipeline_proto(pipeline_config)
  model = model_builder.build(configs["model"], is_training=False)
  # One predict creates every variable, so that the restore below can be
  # checked and the moving averages copied.
  probe = _build_probe(configs["model"])
  model.predict(*model.preprocess(probe))
  weights = checkpoints.TrainedWeights(model, configs["train_config"],
                                       checkpoints.uses_moving_averages(
                                           configs))
  step = weights.restore(prefix)
  _LOG.info("Restored %s (step %d%s)", prefix, step,
            ", moving averages" if weights.averaged else "")
  return DETECTION_MODULE_MAP[input_type](model)


def export_inference_graph(input_type: str, pipeline_config,
                           trained_checkpoint_dir: str,
                           output_directory: str,
                           use_side_inputs: bool = False,
                           side_input_shapes: str = "",
                           side_input_types: str = "",
                           side_input_names: str = "") -> str:
  """Writes saved_model/, checkpoint/ and pipeline.config under a folder.

  The TF OD API's function and arguments. Everything is written to a
  temporary folder inside `output_directory` first; each of the three
  entries then replaces its earlier version, so a failed export changes
  nothing.

  Args:
    input_type: image_tensor, float_image_tensor,
      encoded_image_string_tensor or tf_example.
    pipeline_config: a TrainEvalPipelineConfig.
    trained_checkpoint_dir: a training model_dir or a checkpoint prefix.
    output_directory: where to write (created).
    use_side_inputs, side_input_shapes, side_input_types, side_input_names:
      the TF OD API's side inputs, which only some of its models (not
      Faster/Mask R-CNN) take: use_side_inputs=True is refused.

  Returns:
    The saved_model folder.

  Raises:
    ValueError: bad arguments, or no checkpoint to export.
  """
  del side_input_shapes, side_input_types, side_input_names
  if use_side_inputs:
    raise ValueError("use_side_inputs: Faster R-CNN and Mask R-CNN models "
                     "take no side inputs")
  module = build_detection_module(input_type, pipeline_config,
                                  trained_checkpoint_dir)
  # Tracing creates the graph of the signature before anything is written.
  concrete_function = module.__call__.get_concrete_function()
  tf.io.gfile.makedirs(output_directory)
  staging = tempfile.mkdtemp(prefix=".export-", dir=output_directory)
  try:
    checkpoint = tf.train.Checkpoint(model=module.detection_model)
    tf.train.CheckpointManager(checkpoint,
                               os.path.join(staging, CHECKPOINT_DIR),
                               max_to_keep=1).save(checkpoint_number=0)
    tf.saved_model.save(module, os.path.join(staging, SAVED_MODEL_DIR),
                        signatures={"serving_default": concrete_function})
    config_util.save_pipeline_config(pipeline_config,
                                     os.path.join(staging, PIPELINE_FILE))
    for name in (CHECKPOINT_DIR, PIPELINE_FILE, SAVED_MODEL_DIR):
      _replace(os.path.join(staging, name),
               os.path.join(output_directory, name), staging)
  finally:
    shutil.rmtree(staging, ignore_errors=True)
  return os.path.join(output_directory, SAVED_MODEL_DIR)


def _replace(source: str, target: str, trash: str) -> None:
  """Moves `source` to `target`, an earlier `target` into `trash` first."""
  if os.path.lexists(target):
    os.replace(target, os.path.join(trash, "old-" + os.path.basename(target)))
  os.replace(source, target)

