"""Tests for object_detection/exporter_lib_v2.py: export each input type of
a tiny Mask R-CNN (the shipped shapes config at 64x64, random weights
saved as a training checkpoint), reload it, and compare with the
in-process model."""

import io
import os

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from object_detection import exporter_lib_v2
from object_detection.builders import model_builder
from object_detection.data import shapes_dataset
from object_detection.data import tf_example_writer
from object_detection.utils import config_util
from tests.conftest import REPO_ROOT
from tests.conftest import shapes_examples

SIZE = 64
FLOAT_KEYS = ("detection_boxes", "detection_scores", "detection_classes",
              "num_detections", "detection_multiclass_scores",
              "detection_anchor_indices", "raw_detection_boxes",
              "raw_detection_scores", "detection_masks")
MAX_DETECTIONS = 20
MAX_PROPOSALS = 64
MASK_SIZE = 14
NUM_CLASSES = 3


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
  """(pipeline proto, checkpoint dir, in-process model) of random weights."""
  directory = str(tmp_path_factory.mktemp("export"))
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"))
  config_util.merge_external_params_with_configs(configs, kwargs_dict={
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": SIZE,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": SIZE,
  })
  tf.keras.utils.set_random_seed(3)
  model = model_builder.build(configs["model"], is_training=False)
  model.predict(*model.preprocess(tf.zeros([1, SIZE, SIZE, 3])))
  checkpoint_dir = os.path.join(directory, "model")
  tf.train.CheckpointManager(
      tf.train.Checkpoint(step=tf.Variable(7, dtype=tf.int64), model=model),
      checkpoint_dir, max_to_keep=1).save(checkpoint_number=7)
  pipeline = config_util.create_pipeline_proto_from_configs(configs)
  return pipeline, checkpoint_dir, model


@pytest.fixture(scope="module")
def images():
  """uint8 [3, SIZE, SIZE, 3] shapes images."""
  return np.stack([e.image for e in shapes_examples(3, seed=5, size=SIZE)])


def _in_process(model, images):
  """The model's own postprocess, classes shifted to label map ids."""
  preprocessed, shapes = model.preprocess(tf.cast(images, tf.float32))
  detections = model.postprocess(model.predict(preprocessed, shapes), shapes)
  detections = {k: tf.cast(v, tf.float32).numpy()
                for k, v in detections.items()}
  detections["detection_classes"] += 1
  return detections


def _assert_equal_detections(exported, expected):
  assert sorted(exported) == sorted(FLOAT_KEYS)
  for key in FLOAT_KEYS:
    np.testing.assert_allclose(np.asarray(exported[key]), expected[key],
                               rtol=1e-5, atol=1e-5, err_msg=key)


def _png(image):
  buffer = io.BytesIO()
  PIL.Image.fromarray(image).save(buffer, format="PNG")
  return buffer.getvalue()


def _tf_example(image):
  return tf_example_writer.encode_detection_example(
      image, np.zeros([0, 4], np.float32), np.zeros([0], np.int64),
      shapes_dataset.CLASS_NAMES, "x").SerializeToString()


@pytest.fixture(scope="module")
def exported_images(trained, tmp_path_factory):
  pipeline, checkpoint_dir, _ = trained
  output = str(tmp_path_factory.mktemp("image_tensor"))
  path = exporter_lib_v2.export_inference_graph(
      "image_tensor", pipeline, checkpoint_dir, output)
  return output, tf.saved_model.load(path)


def test_export_writes_the_tf_od_api_layout(trained, exported_images):
  pipeline, _, _ = trained
  output, _ = exported_images
  assert sorted(os.listdir(output)) == ["checkpoint", "pipeline.config",
                                        "saved_model"]
  assert tf.train.latest_checkpoint(os.path.join(output, "checkpoint")
                                    ).endswith("ckpt-0")
  assert os.path.exists(os.path.join(output, "saved_model", "saved_model.pb"))
  saved = config_util.get_configs_from_pipeline_file(
      os.path.join(output, "pipeline.config"))
  assert config_util.create_pipeline_proto_from_configs(saved) == pipeline


def test_image_tensor_outputs_equal_in_process(trained, exported_images,
                                               images):
  _, _, model = trained
  _, loaded = exported_images
  expected = _in_process(model, images)
  assert expected["num_detections"].min() > 0
  detections = loaded(tf.constant(images))
  for key, value in detections.items():
    assert value.dtype == tf.float32, key
  batch = len(images)
  shapes = {k: tuple(v.shape) for k, v in detections.items()}
  assert shapes == {
      "detection_boxes": (batch, MAX_DETECTIONS, 4),
      "detection_scores": (batch, MAX_DETECTIONS),
      "detection_classes": (batch, MAX_DETECTIONS),
      "num_detections": (batch,),
      "detection_multiclass_scores": (batch, MAX_DETECTIONS,
                                      NUM_CLASSES + 1),
      "detection_anchor_indices": (batch, MAX_DETECTIONS),
      "raw_detection_boxes": (batch, MAX_PROPOSALS, 4),
      "raw_detection_scores": (batch, MAX_PROPOSALS, NUM_CLASSES + 1),
      "detection_masks": (batch, MAX_DETECTIONS, MASK_SIZE, MASK_SIZE),
  }
  _assert_equal_detections({k: v.numpy() for k, v in detections.items()},
                           expected)
  classes = detections["detection_classes"].numpy()
  valid = np.arange(MAX_DETECTIONS)[None] < expected["num_detections"][:,
                                                                       None]
  assert set(classes[valid].astype(int)) <= {1, 2, 3}
  boxes = detections["detection_boxes"].numpy()
  assert boxes.min() >= 0.0 and boxes.max() <= 1.0
  masks = detections["detection_masks"].numpy()
  assert masks.min() >= 0.0 and masks.max() <= 1.0


def test_serving_signature_and_any_batch_size(trained, exported_images,
                                              images):
  _, _, model = trained
  _, loaded = exported_images
  signature = loaded.signatures["serving_default"]
  assert list(signature.structured_input_signature[1]) == ["input_tensor"]
  for batch in (1, 2):
    outputs = signature(input_tensor=tf.constant(images[:batch]))
    _assert_equal_detections({k: v.numpy() for k, v in outputs.items()},
                             _in_process(model, images[:batch]))


def test_an_image_of_another_size_is_resized(trained, exported_images):
  _, _, model = trained
  _, loaded = exported_images
  image = shapes_examples(1, seed=9, size=96)[0].image[:80]
  detections = loaded(tf.constant(image[None]))
  _assert_equal_detections({k: v.numpy() for k, v in detections.items()},
                           _in_process(model, image[None]))


@pytest.mark.parametrize("input_type, encode", [
    ("float_image_tensor", lambda images: images.astype(np.float32)),
    ("encoded_image_string_tensor",
     lambda images: np.array([_png(i) for i in images], dtype=object)),
    ("tf_example",
     lambda images: np.array([_tf_example(i) for i in images], dtype=object)),
])
def test_other_input_types_equal_in_process(trained, images, tmp_path,
                                            input_type, encode):
  pipeline, checkpoint_dir, model = trained
  path = exporter_lib_v2.export_inference_graph(
      input_type, pipeline, checkpoint_dir, str(tmp_path))
  loaded = tf.saved_model.load(path)
  detections = loaded.signatures["serving_default"](
      input_tensor=tf.constant(encode(images[:2])))
  _assert_equal_detections({k: v.numpy() for k, v in detections.items()},
                           _in_process(model, images[:2]))


def test_the_exported_checkpoint_holds_the_trained_weights(trained,
                                                           exported_images):
  pipeline, _, model = trained
  output, _ = exported_images
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  restored = model_builder.build(configs["model"], is_training=False)
  restored.predict(*restored.preprocess(tf.zeros([1, SIZE, SIZE, 3])))
  tf.train.Checkpoint(model=restored).restore(
      os.path.join(output, "checkpoint", "ckpt-0")).assert_consumed()
  expected = {v.path: v.numpy() for v in model.variables}
  assert {v.path for v in restored.variables} == set(expected)
  for variable in restored.variables:
    np.testing.assert_array_equal(variable.numpy(), expected[variable.path])


def test_a_failed_export_leaves_the_earlier_one(trained, tmp_path,
                                                monkeypatch):
  pipeline, checkpoint_dir, _ = trained
  output = str(tmp_path)
  exporter_lib_v2.export_inference_graph("image_tensor", pipeline,
                                         checkpoint_dir, output)
  before = os.path.getmtime(os.path.join(output, "saved_model",
                                         "saved_model.pb"))

  def fail(*args, **kwargs):
    raise OSError("disk full")

  monkeypatch.setattr(tf.saved_model, "save", fail)
  with pytest.raises(OSError, match="disk full"):
    exporter_lib_v2.export_inference_graph("tf_example", pipeline,
                                           checkpoint_dir, output)
  assert sorted(os.listdir(output)) == ["checkpoint", "pipeline.config",
                                        "saved_model"]
  assert os.path.getmtime(os.path.join(output, "saved_model",
                                        "saved_model.pb")) == before


def test_bad_arguments_name_what_is_wrong(trained, tmp_path):
  pipeline, checkpoint_dir, _ = trained
  with pytest.raises(ValueError, match="input_type: 'jpeg' is not one of"):
    exporter_lib_v2.export_inference_graph("jpeg", pipeline, checkpoint_dir,
                                           str(tmp_path))
  with pytest.raises(ValueError, match="trained_checkpoint_dir: folder"):
    exporter_lib_v2.export_inference_graph("image_tensor", pipeline,
                                           str(tmp_path), str(tmp_path))
  with pytest.raises(ValueError, match="use_side_inputs"):
    exporter_lib_v2.export_inference_graph("image_tensor", pipeline,
                                           checkpoint_dir, str(tmp_path),
                                           use_side_inputs=True)
  assert os.listdir(str(tmp_path)) == []
