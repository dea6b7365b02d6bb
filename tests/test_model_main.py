"""End-to-end tests of model_main: the real entry point as a subprocess.

A tiny pipeline (the shipped shapes config at 64x64, batch 2, no
augmentation) trains on the same two shapes images every step, so the loss
must fall; each run takes ~30 s on 2 CPU cores, so the runs are shared
where the checks allow.
"""

import glob
import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import tensorflow as tf

from object_detection.utils import config_util
from tests.conftest import write_shapes_records

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPPED = os.path.join(REPO_ROOT, "pipelines", "mask_rcnn_shapes.config")
SIZE = 64
TIMEOUT = 240

BOX_TAGS = ["DetectionBoxes_Precision/mAP", "DetectionBoxes_Precision/mAP@.50IOU",
            "DetectionBoxes_Precision/mAP@.75IOU",
            "DetectionBoxes_Precision/mAP (small)",
            "DetectionBoxes_Precision/mAP (medium)",
            "DetectionBoxes_Precision/mAP (large)",
            "DetectionBoxes_Recall/AR@1", "DetectionBoxes_Recall/AR@10",
            "DetectionBoxes_Recall/AR@100",
            "DetectionBoxes_Recall/AR@100 (small)",
            "DetectionBoxes_Recall/AR@100 (medium)",
            "DetectionBoxes_Recall/AR@100 (large)"]
MASK_TAGS = [t.replace("DetectionBoxes_", "DetectionMasks_") for t in BOX_TAGS]
LOSS_TAGS = ["Loss/RPNLoss/localization_loss", "Loss/RPNLoss/objectness_loss",
             "Loss/BoxClassifierLoss/localization_loss",
             "Loss/BoxClassifierLoss/classification_loss",
             "Loss/BoxClassifierLoss/mask_loss", "Loss/total_loss"]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
  """A tiny pipeline.config: 64x64 images, batch 2, 4 eval images."""
  directory = str(tmp_path_factory.mktemp("model_main"))
  train = write_shapes_records(directory, "train", 2, 0, SIZE, num_shards=2)
  val = write_shapes_records(directory, "val", 4, 1, SIZE)
  configs = config_util.get_configs_from_pipeline_file(SHIPPED)
  config_util.merge_external_params_with_configs(configs, kwargs_dict={
      "train_input_path": train, "eval_input_path": val,
      "label_map_path": os.path.join(REPO_ROOT, "pipelines",
                                     "shapes_label_map.pbtxt"),
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.height": SIZE,
      "model.faster_rcnn.image_resizer.fixed_shape_resizer.width": SIZE,
      "train_config.batch_size": 2,
      "eval_config.num_visualizations": 2,
  })
  del configs["train_config"].data_augmentation_options[:]
  return config_util.save_pipeline_config(
      configs, os.path.join(directory, "tiny.config"))


def _command(config, model_dir, *flags):
  return [sys.executable, "-m", "object_detection.model_main",
          "--pipeline_config_path=" + config, "--model_dir=" + model_dir,
          "--log_every_n=1"] + list(flags)


def _env(**extra):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **extra)
  env["PYTHONPATH"] = REPO_ROOT + os.pathsep + env.get("PYTHONPATH", "")
  return env


def _run(config, model_dir, *flags, env=None):
  return subprocess.run(_command(config, model_dir, *flags), cwd=REPO_ROOT,
                        capture_output=True, text=True, timeout=TIMEOUT,
                        env=env or _env(), check=False)


def _events(directory):
  """tag -> list of (step, value or None for images)."""
  found = {}
  for path in glob.glob(os.path.join(directory, "events.out.tfevents.*")):
    for event in tf.compat.v1.train.summary_iterator(path):
      for value in event.summary.value:
        tensor = tf.make_ndarray(value.tensor) if value.HasField(
            "tensor") else None
        scalar = (float(tensor) if tensor is not None and tensor.ndim == 0
                  else None)
        found.setdefault(value.tag, []).append((event.step, scalar))
  return found


def _steps(model_dir):
  return sorted(int(p.rsplit("-", 1)[1].split(".")[0])
                for p in glob.glob(os.path.join(model_dir, "ckpt-*.index")))


def _checkpoint_arrays(prefix):
  reader = tf.train.load_checkpoint(prefix)
  return {name: reader.get_tensor(name)
          for name in reader.get_variable_to_shape_map()}


@pytest.fixture(scope="module")
def trained(pipeline, tmp_path_factory):
  """8 steps with overrides, checkpoints every 4 and evaluation every 4."""
  model_dir = str(tmp_path_factory.mktemp("trained"))
  result = _run(
      pipeline, model_dir, "--num_train_steps=8", "--checkpoint_every_n=4",
      "--eval_every_n=4", "--seed=1",
      "--config_override=train_config { gradient_clipping_by_norm: 5.0 }",
      "--override", "train_config.optimizer.adam_optimizer.learning_rate."
      "cosine_decay_learning_rate.learning_rate_base=0.0003",
      "--override", "train_config.optimizer.adam_optimizer.learning_rate."
      "cosine_decay_learning_rate.warmup_steps=0")
  assert result.returncode == 0, result.stderr[-3000:]
  return model_dir, result


def test_training_writes_checkpoints_progress_and_the_effective_config(
    trained):
  model_dir, result = trained
  assert _steps(model_dir) == [4, 8]
  lines = [l for l in result.stdout.splitlines() if l.startswith("step ")]
  assert lines[0].startswith("step 1/8  loss ")
  assert "first step" in lines[0] and "tracing included" in lines[0]
  assert lines[-1].startswith("step 8/8  loss ")
  assert "steps/s" in lines[-1] and "ETA" in lines[-1]
  saved = config_util.get_configs_from_pipeline_file(
      os.path.join(model_dir, "pipeline.config"))
  assert saved["train_config"].gradient_clipping_by_norm == 5.0
  schedule = (saved["train_config"].optimizer.adam_optimizer.learning_rate
              .cosine_decay_learning_rate)
  assert schedule.learning_rate_base == pytest.approx(0.0003)
  assert schedule.warmup_steps == 0


def test_training_summaries_have_the_tf_od_api_tags_and_the_loss_falls(
    trained):
  model_dir, _ = trained
  events = _events(os.path.join(model_dir, "train"))
  for tag in LOSS_TAGS + ["learning_rate", "steps_per_sec"]:
    assert tag in events, sorted(events)
  assert "train_input_images" in events
  total = [v for _, v in sorted(events["Loss/total_loss"])]
  assert len(total) == 8 and all(np.isfinite(total))
  # The same batch every step: the RPN losses fall from step 1, the mask
  # loss from the first step with positive proposals (before, it is 0 and
  # the total rises as the second stage starts to count).
  for tag in ("Loss/RPNLoss/objectness_loss", "Loss/RPNLoss/localization_loss",
              "Loss/BoxClassifierLoss/mask_loss"):
    values = [v for _, v in sorted(events[tag]) if v > 0]
    assert len(values) >= 4 and values[-1] < values[0], (tag, values)


def test_eval_every_n_keeps_the_best_checkpoint(trained):
  model_dir, result = trained
  for step in (4, 8):
    with open(os.path.join(model_dir, "eval", "metrics_%d.json" % step)) as f:
      record = json.load(f)
    assert record["step"] == step
    for tag in BOX_TAGS + MASK_TAGS + LOSS_TAGS:
      assert tag in record["metrics"], tag
  with open(os.path.join(model_dir, "best", "best_metric.json")) as f:
    best = json.load(f)
  assert best["metric"] == "DetectionMasks_Precision/mAP"
  assert best["step"] in (4, 8)
  assert os.path.exists(os.path.join(model_dir, "best",
                                     "ckpt-%d.index" % best["step"]))
  assert "best DetectionMasks_Precision/mAP" in result.stdout


def test_checkpoint_dir_mode_evaluates_the_last_checkpoint(trained, pipeline,
                                                           tmp_path):
  model_dir, _ = trained
  eval_dir = str(tmp_path / "eval_run")
  result = _run(pipeline, eval_dir, "--checkpoint_dir=" + model_dir,
                "--num_train_steps=8", "--eval_timeout=5",
                "--eval_wait_interval=0")
  assert result.returncode == 0, result.stderr[-3000:]
  with open(os.path.join(eval_dir, "eval", "metrics_8.json")) as f:
    metrics = json.load(f)["metrics"]
  assert set(BOX_TAGS + MASK_TAGS) <= set(metrics)
  events = _events(os.path.join(eval_dir, "eval"))
  assert set(BOX_TAGS + MASK_TAGS + ["Loss/total_loss"]) <= set(events)
  assert {"eval_side_by_side_0", "eval_side_by_side_1"} <= set(events)
  assert [s for s, _ in events["DetectionBoxes_Precision/mAP"]] == [8]


def _wait_for(predicate, process, what, timeout=TIMEOUT):
  deadline = time.time() + timeout
  while time.time() < deadline:
    if predicate():
      return
    if process.poll() is not None:
      raise AssertionError("process ended (%s) before %s: %s" % (
          process.returncode, what, process.stderr.read()[-3000:]))
    time.sleep(0.2)
  process.kill()
  raise AssertionError("timed out waiting for " + what)


def test_sigkill_then_resume_then_sigterm(pipeline, tmp_path):
  model_dir = str(tmp_path / "killed")
  first = subprocess.Popen(
      _command(pipeline, model_dir, "--num_train_steps=1000",
               "--checkpoint_every_n=2"), cwd=REPO_ROOT, env=_env(),
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
  _wait_for(lambda: _steps(model_dir), first, "the first checkpoint")
  first.send_signal(signal.SIGKILL)
  first.wait(timeout=30)
  saved = _steps(model_dir)[-1]
  assert saved % 2 == 0

  resumed = _run(pipeline, model_dir, "--num_train_steps=%d" % (saved + 2),
                 "--checkpoint_every_n=1000")
  assert resumed.returncode == 0, resumed.stderr[-3000:]
  lines = [l for l in resumed.stdout.splitlines() if l.startswith("step ")]
  assert lines[0].startswith("step %d/%d " % (saved + 1, saved + 2))
  assert lines[-1].startswith("step %d/%d " % (saved + 2, saved + 2))
  assert _steps(model_dir)[-1] == saved + 2

  third = subprocess.Popen(
      _command(pipeline, model_dir, "--num_train_steps=1000",
               "--checkpoint_every_n=1000"), cwd=REPO_ROOT, env=_env(),
      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
  line = ""
  while not line.startswith("step %d/" % (saved + 4)):
    line = third.stdout.readline()
    assert line or third.poll() is None, third.stderr.read()[-3000:]
  third.send_signal(signal.SIGTERM)
  out, err = third.communicate(timeout=60)
  assert third.returncode == 0, err[-3000:]
  stopped = [l for l in out.splitlines() if l.startswith("stopped by SIGTERM")]
  assert stopped, out
  step = int(stopped[0].split("at step ")[1].split()[0])
  assert step >= saved + 4 and _steps(model_dir)[-1] == step


def test_nan_guard_stops_and_keeps_finite_checkpoints(pipeline, tmp_path):
  model_dir = str(tmp_path / "nan")
  result = _run(pipeline, model_dir, "--num_train_steps=30",
                "--checkpoint_every_n=1", "--override", "learning_rate=1e6")
  assert result.returncode == 1, (result.stdout[-2000:], result.stderr[-3000:])
  message = result.stderr.strip().splitlines()[-1]
  assert message.startswith("model_main: training diverged")
  assert ("at step" in message or "after step" in message), message
  assert "nothing was saved" in message
  steps = _steps(model_dir)
  assert steps, "no checkpoint before the divergence"
  for step in steps:
    for name, value in _checkpoint_arrays(
        os.path.join(model_dir, "ckpt-%d" % step)).items():
      if np.issubdtype(np.asarray(value).dtype, np.floating):
        assert np.all(np.isfinite(value)), (step, name)


@pytest.mark.parametrize("flags,env,expected", [
    ((), {}, "--pipeline_config_path is required"),
    (("--num_workers=2",), {}, "needs the TF_CONFIG environment variable"),
    (("--override", "use_bfloat16=true"), {},
     "train_config.use_bfloat16: bfloat16 training is not implemented"),
    (("--override", "train_config.batch_sise=3"), {}, "batch_sise"),
])
def test_bad_input_is_one_line_and_status_2(pipeline, tmp_path, flags, env,
                                            expected):
  command = _command(pipeline, str(tmp_path / "m"), *flags)
  if not flags:
    command = [c for c in command if "pipeline_config_path" not in c]
  result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT, env=_env(**env),
                          check=False)
  assert result.returncode == 2, result.stderr[-3000:]
  assert "Traceback" not in result.stderr
  assert expected in result.stderr
  assert result.stderr.strip().splitlines()[-1].startswith("model_main: error")


def _free_ports(count):
  sockets = [socket.socket() for _ in range(count)]
  for s in sockets:
    s.bind(("127.0.0.1", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


def test_two_worker_multi_worker_mirrored_strategy(pipeline, tmp_path):
  model_dir = str(tmp_path / "mwms")
  workers = ["127.0.0.1:%d" % p for p in _free_ports(2)]
  processes = []
  for index in range(2):
    tf_config = json.dumps({"cluster": {"worker": workers},
                            "task": {"type": "worker", "index": index}})
    processes.append(subprocess.Popen(
        _command(pipeline, model_dir, "--num_workers=2",
                 "--num_train_steps=2", "--checkpoint_every_n=2"),
        cwd=REPO_ROOT, env=_env(TF_CONFIG=tf_config),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
  outputs = [p.communicate(timeout=TIMEOUT) for p in processes]
  for process, (_, err) in zip(processes, outputs):
    assert process.returncode == 0, err[-3000:]
  assert _steps(model_dir) == [2]
  assert "step 2/2" in outputs[0][0]


def test_checkpoint_dir_naming_one_checkpoint_evaluates_it_once(trained,
                                                                pipeline,
                                                                tmp_path):
  model_dir, _ = trained
  eval_dir = str(tmp_path / "once")
  result = _run(pipeline, eval_dir,
                "--checkpoint_dir=" + os.path.join(model_dir, "ckpt-4"))
  assert result.returncode == 0, result.stderr[-3000:]
  assert "evaluated 1 checkpoint(s)" in result.stdout
  assert os.listdir(os.path.join(eval_dir, "eval")).count("metrics_4.json") == 1
  missing = _run(pipeline, eval_dir,
                 "--checkpoint_dir=" + os.path.join(model_dir, "ckpt-5"))
  assert missing.returncode == 2
  assert "--checkpoint_dir: " in missing.stderr
  assert "is not a checkpoint (no ckpt-5.index)" in missing.stderr
