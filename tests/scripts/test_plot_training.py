"""Tests for scripts/plot_training.py: the script as a subprocess."""

import os
import subprocess
import sys

from PIL import Image

from tests.conftest import REPO_ROOT
from tests.training.test_history import write_run

SCRIPT = os.path.join(REPO_ROOT, "scripts", "plot_training.py")


def _run(*flags):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return subprocess.run([sys.executable, SCRIPT] + list(flags), cwd=REPO_ROOT,
                        capture_output=True, text=True, timeout=120, env=env,
                        check=False)


def test_plot_is_written_and_the_last_evaluation_printed(tmp_path):
  model_dir = str(tmp_path / "model")
  write_run(model_dir, [3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2, 0.1], [
      (4, {"DetectionBoxes_Precision/mAP@.50IOU": 0.5,
           "DetectionMasks_Precision/mAP@.50IOU": 0.25}),
      (8, {"DetectionBoxes_Precision/mAP@.50IOU": 0.875,
           "DetectionMasks_Precision/mAP@.50IOU": 0.75,
           "DetectionBoxes_Precision/mAP": None})])
  output = str(tmp_path / "plot.png")
  result = _run("--model_dir=" + model_dir, "--output=" + output)
  assert result.returncode == 0, result.stderr
  assert Image.open(output).size == (1100, 400)
  assert "training plot (8 steps, 2 evaluations)" in result.stdout
  assert "loss: 3.0000 at step 1, 0.1000 at step 8" in result.stdout
  assert ("evaluation at step 8: box mAP@0.5 0.875, mask mAP@0.5 0.750\n"
          in result.stdout)


def test_a_folder_without_training_is_one_line_and_status_2(tmp_path):
  result = _run("--model_dir=" + str(tmp_path))
  assert result.returncode == 2
  assert result.stderr.strip().splitlines()[-1] == (
      "plot_training: error: %s: no Loss/total_loss summaries in its train "
      "folder" % tmp_path)
