"""End-to-end tests of exporter_main_v2: the real entry point as a
subprocess on a tiny checkpoint, then the TF OD API users' inference code
on the export."""

import os
import subprocess
import sys

import numpy as np
import PIL.Image
import pytest
import tensorflow as tf

from object_detection.builders import model_builder
from object_detection.utils import config_util
from object_detection.utils import flags_util
from tests.conftest import REPO_ROOT
from tests.conftest import shapes_examples

SHIPPED = os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config")
LABEL_MAP = os.path.join(REPO_ROOT, "pipelines", "shapes_label_map.pbtxt")
SIZE = 64
MAX_DETECTIONS = 5


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
  """(tiny pipeline.config, training model_dir with ckpt-2)."""
  directory = str(tmp_path_factory.mktemp("exporter_main"))
  configs = config_util.get_configs_from_pipeline_file(SHIPPED)
  config_util.merge_external_params_with_configs(configs, kwargs_dict={
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": SIZE,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": SIZE,
  })
  config = config_util.save_pipeline_config(
      configs, os.path.join(directory, "tiny.config"))
  tf.keras.utils.set_random_seed(4)
  model = model_builder.build(configs["model"], is_training=False)
  model.predict(*model.preprocess(tf.zeros([1, SIZE, SIZE, 3])))
  model_dir = os.path.join(directory, "model")
  tf.train.CheckpointManager(
      tf.train.Checkpoint(step=tf.Variable(2, dtype=tf.int64), model=model),
      model_dir, max_to_keep=1).save(checkpoint_number=2)
  return config, model_dir


def _export(*flags, module="object_detection.exporter_main_v2"):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run([sys.executable, "-m", module] + list(flags),
                        cwd=REPO_ROOT, capture_output=True, text=True,
                        timeout=240, env=env, check=False)


@pytest.fixture(scope="module")
def exported(checkpoint, tmp_path_factory):
  config, model_dir = checkpoint
  output = str(tmp_path_factory.mktemp("exported"))
  nms = "model.faster_rcnn.second_stage_post_processing." \
        "batch_non_max_suppression."
  # A checkpoint prefix (a training folder works too, as the other
  # tests' exports show).
  result = _export("--input_type=image_tensor",
                   "--pipeline_config_path=" + config,
                   "--trained_checkpoint_dir=" + os.path.join(model_dir,
                                                              "ckpt-2"),
                   "--output_directory=" + output,
                   "--override", nms + "max_total_detections=%d" %
                   MAX_DETECTIONS, "--override",
                   nms + "max_detections_per_class=%d" % MAX_DETECTIONS)
  assert result.returncode == 0, result.stderr
  return output, result


def test_export_prints_where_the_model_is(exported):
  output, result = exported
  assert result.stdout.strip().endswith(os.path.join(output, "saved_model"))
  assert "Traceback" not in result.stderr
  saved = config_util.get_configs_from_pipeline_file(
      os.path.join(output, "pipeline.config"))
  assert (saved["model"].faster_rcnn.second_stage_post_processing
          .batch_non_max_suppression.max_total_detections == MAX_DETECTIONS)


def test_tf_od_api_inference_code_works_unchanged(exported, tmp_path):
  output, _ = exported
  # The inference snippet TF OD API users run, as they write it.
  from object_detection.utils import label_map_util  # pylint: disable=g-import-not-at-top
  from object_detection.utils import visualization_utils as vis_util  # pylint: disable=g-import-not-at-top
  image_path = str(tmp_path / "image.png")
  PIL.Image.fromarray(shapes_examples(1, seed=2, size=SIZE)[0].image).save(
      image_path)
  model = tf.saved_model.load(os.path.join(output, "saved_model"))
  category_index = label_map_util.create_category_index_from_labelmap(
      LABEL_MAP, use_display_name=True)
  image_np = np.array(PIL.Image.open(image_path).convert("RGB"))
  original = image_np.copy()
  detections = model(tf.convert_to_tensor(image_np[None, ...]))
  vis_util.visualize_boxes_and_labels_on_image_array(
      image_np, detections["detection_boxes"][0].numpy(),
      detections["detection_classes"][0].numpy().astype(np.int32),
      detections["detection_scores"][0].numpy(), category_index,
      use_normalized_coordinates=True, line_thickness=2,
      min_score_thresh=0.0)
  assert detections["detection_boxes"].shape == (1, MAX_DETECTIONS, 4)
  assert float(detections["num_detections"][0]) > 0
  assert (image_np != original).any()


def test_exporter_main_is_the_same_program(tmp_path):
  result = _export("--input_type=png", "--output_directory=" + str(tmp_path),
                   module="object_detection.exporter_main")
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1].startswith(
      "exporter_main_v2: error: flag --input_type=png")


@pytest.mark.parametrize("flags, message", [
    (["--input_type=jpeg"], "flag --input_type=jpeg"),
    (["--trained_checkpoint_dir="], "--trained_checkpoint_dir is required"),
    (["--trained_checkpoint_dir=/nonexistent/ckpt-1"],
     "trained_checkpoint_dir: '/nonexistent/ckpt-1' is not a checkpoint"),
    (["--override", "train_config.batch_size=many"],
     "train_config.batch_size"),
])
def test_bad_input_is_one_line_and_status_2(checkpoint, tmp_path, flags,
                                            message):
  config, model_dir = checkpoint
  result = _export("--pipeline_config_path=" + config,
                   "--trained_checkpoint_dir=" + model_dir,
                   "--output_directory=" + str(tmp_path / "out"), *flags)
  assert result.returncode == 2, result.stderr
  # One error line, and none of TensorFlow's C++ start-up lines.
  lines = result.stderr.strip().splitlines()
  errors = [l for l in lines if l.startswith("exporter_main_v2:")]
  assert len(errors) == 1 and message in errors[0], result.stderr
  assert lines[-1] == errors[0]
  assert not any(flags_util.is_startup_noise(l) for l in lines), lines
  assert "Traceback" not in result.stderr
  assert not os.path.exists(str(tmp_path / "out"))
