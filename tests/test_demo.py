"""The short path of `make demo`: the real Makefile target, run with a tiny
dataset, the shipped config at 64x64 and batch 2, and 4 training steps.

Every step of the demo runs as a user runs it (dataset, validation,
anchors, input preview, od-train with evaluation, od-export of the best
checkpoint, od-infer, the training plot); only the sizes differ.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from object_detection.utils import config_util
from tests.conftest import REPO_ROOT

SIZE = 64


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_runs_end_to_end(tmp_path):
  data = str(tmp_path / "data")
  output = str(tmp_path / "out")
  configs = config_util.get_configs_from_pipeline_file(
      os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config"))
  config_util.merge_external_params_with_configs(configs, kwargs_dict={
      "train_input_path": os.path.join(data, "train-?????-of-00004.tfrecord"),
      "eval_input_path": os.path.join(data, "val-?????-of-00001.tfrecord"),
      "label_map_path": os.path.join(REPO_ROOT, "pipelines",
                                     "shapes_label_map.pbtxt"),
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": SIZE,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": SIZE,
      "train_config.batch_size": 2,
      "eval_config.num_visualizations": 1,
  })
  config = config_util.save_pipeline_config(configs,
                                            str(tmp_path / "tiny.config"))
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  result = subprocess.run(
      ["make", "--no-print-directory", "demo", "DEMO_CONFIG=" + config,
       "DEMO_DATA=" + data, "DEMO_DIR=" + output,
       "DEMO_DATASET_FLAGS=--num_train=8 --num_val=3 --image_size=%d" % SIZE,
       "DEMO_TRAIN_FLAGS=--num_train_steps=4 --eval_every_n=2 "
       "--checkpoint_every_n=2",
       "DEMO_IMAGES=2"],
      cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, env=env,
      check=False)
  assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
  assert "done at step 4" in result.stdout
  assert "evaluation at step 4: box mAP@0.5 " in result.stdout
  assert "wrote 2 annotated image(s)" in result.stdout
  assert "Outputs:" in result.stdout
  for name in ("shapes_preview.png", "anchors.png", "train_inputs.png",
               "model/ckpt-4.index", "model/best/best_metric.json",
               "model/eval/metrics_2.json", "model/eval/metrics_4.json",
               "exported/saved_model/saved_model.pb",
               "exported/pipeline.config", "detections/val_000000.png",
               "detections/val_000001.png"):
    assert os.path.exists(os.path.join(output, name)), name
  grid = np.array(Image.open(os.path.join(output, "detections.png")))
  assert grid.shape == (SIZE, 2 * SIZE + 4, 3)
  assert Image.open(os.path.join(output, "training.png")).size == (1100, 400)
