"""Tests for object_detection/utils/config_util.py (load, save, accessors)."""

import io
import os
import shutil
import subprocess
import sys

import pytest
from google.protobuf import text_format

from tests.conftest import upstream_params
from object_detection.protos import image_resizer_pb2
from object_detection.protos import model_pb2
from object_detection.protos import pipeline_pb2
from object_detection.protos import train_pb2
from object_detection.utils import config_util
from object_detection.utils import file_io

SAMPLE = """
model {
  faster_rcnn {
    num_classes: 3
    image_resizer {
      keep_aspect_ratio_resizer { min_dimension: 64 max_dimension: 128 }
    }
    feature_extractor { type: "faster_rcnn_resnet50_keras" }
    first_stage_anchor_generator {
      grid_anchor_generator {
        scales: [0.5, 1.0]
        aspect_ratios: [0.5, 1.0, 2.0]
      }
    }
  }
}
train_config {
  batch_size: 2
  num_steps: 1000
  optimizer {
    momentum_optimizer {
      learning_rate {
        constant_learning_rate { learning_rate: 0.01 }
      }
      momentum_optimizer_value: 0.9
    }
  }
}
train_input_reader {
  label_map_path: "labels.pbtxt"
  tf_record_input_reader { input_path: "train.record" }
}
eval_config { batch_size: 1 }
eval_input_reader {
  name: "val"
  label_map_path: "labels.pbtxt"
  tf_record_input_reader { input_path: "val.record" }
}
"""

UPSTREAM = (upstream_params("samples/*.config") +
            upstream_params("tf2/*.config"))


def _write(path, text):
  with open(path, "w") as f:
    f.write(text)
  return str(path)


@pytest.fixture
def sample_path(tmp_path):
  return _write(tmp_path / "pipeline.config", SAMPLE)


def test_issue_snippet_runs_verbatim(upstream_configs_dir, tmp_path,
                                     monkeypatch):
  shutil.copy(os.path.join(upstream_configs_dir, "samples",
                           "faster_rcnn_resnet101_pets.config"),
              tmp_path / "pipeline.config")
  monkeypatch.chdir(tmp_path)

  from object_detection.utils import config_util  # pylint: disable=reimported,redefined-outer-name
  configs = config_util.get_configs_from_pipeline_file('pipeline.config')
  configs['train_config'].num_steps = 100000
  configs['train_config'].batch_size = 4
  configs['train_config'].optimizer.adam_optimizer.learning_rate.constant_learning_rate.learning_rate = 0.001
  pipeline = config_util.create_pipeline_proto_from_configs(configs)
  config_util.save_pipeline_config(pipeline, 'out_dir')                # writes out_dir/pipeline.config
  config_util.save_pipeline_config(configs, 'out/modified.config')     # a configs dict and a file path work too

  for path in ("out_dir/pipeline.config", "out/modified.config"):
    saved = config_util.get_configs_from_pipeline_file(path)
    assert saved["train_config"].num_steps == 100000
    assert saved["train_config"].batch_size == 4
    assert config_util.get_optimizer_type(saved["train_config"]) == (
        "adam_optimizer")
    rate = saved["train_config"].optimizer.adam_optimizer.learning_rate
    assert rate.constant_learning_rate.learning_rate == pytest.approx(0.001)
    assert saved["model"] == configs["model"]


@pytest.mark.parametrize("path", UPSTREAM)
def test_upstream_config_loads_and_round_trips(path, tmp_path):
  configs = config_util.get_configs_from_pipeline_file(path)
  assert configs["model"].WhichOneof("model") is not None
  reference = pipeline_pb2.TrainEvalPipelineConfig()
  with open(path) as f:
    text_format.Merge(f.read(), reference)
  loaded = config_util.create_pipeline_proto_from_configs(configs)
  assert loaded == reference
  written = config_util.save_pipeline_config(configs, str(tmp_path))
  assert written == os.path.join(str(tmp_path), "pipeline.config")
  again = config_util.load_pipeline_config(written)
  assert again == reference


def test_configs_dict_keys_and_views(sample_path):
  configs = config_util.get_configs_from_pipeline_file(sample_path)
  assert sorted(configs) == ["eval_config", "eval_input_config",
                             "eval_input_configs", "model", "train_config",
                             "train_input_config"]
  assert configs["eval_input_config"] == configs["eval_input_configs"][0]
  assert configs["eval_input_config"].name == "val"
  assert config_util.get_number_of_classes(configs["model"]) == 3


def test_graph_rewriter_key_only_when_present():
  pipeline = config_util.parse_pipeline_text(
      SAMPLE + "graph_rewriter { quantization { delay: 10 } }")
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  assert configs["graph_rewriter_config"].quantization.delay == 10
  again = config_util.create_pipeline_proto_from_configs(configs)
  assert again == pipeline


def test_no_eval_reader_means_no_eval_input_config():
  pipeline = config_util.parse_pipeline_text("train_config { batch_size: 1 }")
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  assert "eval_input_config" not in configs
  assert len(configs["eval_input_configs"]) == 0


def test_create_pipeline_accepts_old_single_eval_input_config():
  pipeline = config_util.parse_pipeline_text(SAMPLE)
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  old_style = {k: v for k, v in configs.items() if k != "eval_input_configs"}
  assert config_util.create_pipeline_proto_from_configs(old_style) == pipeline


def test_config_override_is_merged(sample_path):
  configs = config_util.get_configs_from_pipeline_file(
      sample_path, config_override="train_config { batch_size: 16 }")
  assert configs["train_config"].batch_size == 16
  assert configs["train_config"].num_steps == 1000


def test_config_override_error_names_the_override(sample_path):
  with pytest.raises(config_util.ConfigError) as info:
    config_util.get_configs_from_pipeline_file(
        sample_path, config_override="train_config { batch_sise: 16 }")
  assert str(info.value) == (
      "<config_override>:1:16: unknown field 'batch_sise' in TrainConfig; "
      "did you mean 'batch_size'?\n"
      "    train_config { batch_sise: 16 }\n"
      "                   ^\n"
      "  in train_config")


def test_missing_file_is_a_config_error(tmp_path):
  path = str(tmp_path / "nope.config")
  with pytest.raises(config_util.ConfigError, match="nope.config: no such "
                     "file"):
    config_util.get_configs_from_pipeline_file(path)


def test_non_utf8_file_is_a_config_error(tmp_path):
  path = tmp_path / "bad.config"
  path.write_bytes(b"train_config {\n  batch_size: \xff\n}\n")
  with pytest.raises(config_util.ConfigError) as info:
    config_util.get_configs_from_pipeline_file(str(path))
  # Offset 29 = len("train_config {\n") 15 + len("  batch_size: ") 14.
  assert str(info.value) == ("%s:2: not UTF-8 text (byte 0xff at offset 29)"
                             % path)


def test_syntax_error_in_file_has_location(tmp_path):
  path = _write(tmp_path / "p.config", SAMPLE.replace(
      "aspect_ratios: [0.5, 1.0, 2.0]", "aspect_ratio: [0.5, 1.0, 2.0]"))
  with pytest.raises(config_util.ConfigError) as info:
    config_util.get_configs_from_pipeline_file(path)
  error = info.value
  assert str(error) == (
      "%s:12:9: unknown field 'aspect_ratio' in GridAnchorGenerator; did you "
      "mean 'aspect_ratios'?\n"
      "            aspect_ratio: [0.5, 1.0, 2.0]\n"
      "            ^\n"
      "  in model.faster_rcnn.first_stage_anchor_generator."
      "grid_anchor_generator" % path)
  assert (error.path, error.line, error.column) == (path, 12, 9)
  assert error.suggestions == ("aspect_ratios",)
  assert isinstance(error, ValueError)


# ---------------------------------------------------------------------------
# Saving.


def test_save_to_directory_creates_parents(tmp_path):
  pipeline = config_util.parse_pipeline_text(SAMPLE)
  target = tmp_path / "a" / "b"
  written = config_util.save_pipeline_config(pipeline, str(target))
  assert written == str(target / "pipeline.config")
  assert config_util.load_pipeline_config(written) == pipeline


@pytest.mark.parametrize("name", ["x.config", "x.pbtxt", "x.txt", "X.CONFIG"])
def test_save_to_file_path(tmp_path, name):
  pipeline = config_util.parse_pipeline_text(SAMPLE)
  written = config_util.save_pipeline_config(pipeline,
                                             str(tmp_path / "d" / name))
  assert written == str(tmp_path / "d" / name)
  assert sorted(os.listdir(tmp_path / "d")) == [name]


def test_saved_text_is_canonical(tmp_path):
  pipeline = config_util.parse_pipeline_text(SAMPLE)
  written = config_util.save_pipeline_config(pipeline, str(tmp_path))
  with open(written) as f:
    assert f.read() == text_format.MessageToString(pipeline)


def test_failed_save_leaves_old_file_intact(tmp_path, monkeypatch):
  path = _write(tmp_path / "pipeline.config", "# old content\n")

  def failing_replace(*args, **kwargs):
    raise PermissionError(13, "rename refused")

  monkeypatch.setattr(file_io.os, "replace", failing_replace)
  with pytest.raises(PermissionError):
    config_util.save_pipeline_config(config_util.parse_pipeline_text(SAMPLE),
                                     str(tmp_path))
  with open(path) as f:
    assert f.read() == "# old content\n"
  assert os.listdir(tmp_path) == ["pipeline.config"]


def test_failed_write_leaves_old_file_intact(tmp_path, monkeypatch):
  path = _write(tmp_path / "pipeline.config", "# old content\n")

  class HalfWriter(io.BytesIO):

    def __init__(self, target, *args, **kwargs):
      super().__init__()
      self._file = open(target, "wb")

    def write(self, data):
      self._file.write(data[:10])
      self._file.close()
      raise OSError(28, "No space left on device")

  monkeypatch.setattr(file_io, "open", HalfWriter, raising=False)
  with pytest.raises(OSError, match="No space left"):
    config_util.save_pipeline_config(config_util.parse_pipeline_text(SAMPLE),
                                     str(tmp_path))
  with open(path) as f:
    assert f.read() == "# old content\n"
  assert os.listdir(tmp_path) == ["pipeline.config"]


# ---------------------------------------------------------------------------
# Several files.


def test_get_configs_from_multiple_files(tmp_path):
  pipeline = config_util.parse_pipeline_text(
      SAMPLE + "graph_rewriter { quantization { delay: 3 } }")
  paths = {}
  for key, part in (("model", pipeline.model),
                    ("train", pipeline.train_config),
                    ("train_input", pipeline.train_input_reader),
                    ("eval", pipeline.eval_config),
                    ("eval_input", pipeline.eval_input_reader[0]),
                    ("graph_rewriter", pipeline.graph_rewriter)):
    paths[key] = _write(tmp_path / (key + ".pbtxt"),
                        text_format.MessageToString(part))
  configs = config_util.get_configs_from_multiple_files(
      model_config_path=paths["model"], train_config_path=paths["train"],
      train_input_config_path=paths["train_input"],
      eval_config_path=paths["eval"],
      eval_input_config_path=paths["eval_input"],
      graph_rewriter_config_path=paths["graph_rewriter"])
  assert config_util.create_pipeline_proto_from_configs(configs) == pipeline
  assert configs["eval_input_config"] is configs["eval_input_configs"][0]


def test_multiple_files_only_given_parts(tmp_path):
  path = _write(tmp_path / "train.pbtxt", "batch_size: 8")
  configs = config_util.get_configs_from_multiple_files(
      train_config_path=path)
  assert list(configs) == ["train_config"]
  assert configs["train_config"].batch_size == 8


def test_multiple_files_error_names_the_file(tmp_path):
  path = _write(tmp_path / "train.pbtxt", "batch_size: 8\nnum_step: 3\n")
  with pytest.raises(config_util.ConfigError) as info:
    config_util.get_configs_from_multiple_files(train_config_path=path)
  assert str(info.value).startswith(
      "%s:2:1: unknown field 'num_step' in TrainConfig; did you mean "
      "'num_steps'?" % path)


# ---------------------------------------------------------------------------
# Accessors.


def _model(text):
  return text_format.Parse(text, model_pb2.DetectionModel())


def test_get_number_of_classes():
  assert config_util.get_number_of_classes(
      _model("faster_rcnn { num_classes: 7 }")) == 7
  assert config_util.get_number_of_classes(
      _model("ssd { num_classes: 9 }")) == 9
  with pytest.raises(ValueError, match="model: expected faster_rcnn or ssd, "
                     "got an unset model"):
    config_util.get_number_of_classes(model_pb2.DetectionModel())


def test_get_image_resizer_config():
  model = _model("ssd { image_resizer { fixed_shape_resizer { height: 5 } } }")
  assert config_util.get_image_resizer_config(model).fixed_shape_resizer \
      .height == 5
  with pytest.raises(ValueError, match="model: an unset model has no "
                     "image_resizer"):
    config_util.get_image_resizer_config(model_pb2.DetectionModel())


@pytest.mark.parametrize("text, expected", [
    ("fixed_shape_resizer { height: 320 width: 640 }", [320, 640]),
    ("keep_aspect_ratio_resizer { max_dimension: 1024 "
     "pad_to_max_dimension: true }", [1024, 1024]),
    ("keep_aspect_ratio_resizer { max_dimension: 1024 }", [-1, -1]),
    ("identity_resizer {}", [-1, -1]),
    ("conditional_shape_resizer {}", [-1, -1]),
])
def test_get_spatial_image_size(text, expected):
  resizer = text_format.Parse(text, image_resizer_pb2.ImageResizer())
  assert config_util.get_spatial_image_size(resizer) == expected


def test_get_spatial_image_size_unset_raises():
  with pytest.raises(ValueError, match="image_resizer: no resizer type is "
                     "set"):
    config_util.get_spatial_image_size(image_resizer_pb2.ImageResizer())


def test_optimizer_and_learning_rate_types():
  train_config = text_format.Parse(
      "optimizer { adam_optimizer { learning_rate { "
      "cosine_decay_learning_rate {} } } }", train_pb2.TrainConfig())
  assert config_util.get_optimizer_type(train_config) == "adam_optimizer"
  assert config_util.get_learning_rate_type(
      train_config.optimizer.adam_optimizer) == "cosine_decay_learning_rate"
  assert config_util.get_optimizer_type(train_pb2.TrainConfig()) is None


@pytest.mark.parametrize("text, expected", [
    ("from_detection_checkpoint: true", "detection"),
    ("from_detection_checkpoint: false", "classification"),
    ("", "classification"),
    ("from_detection_checkpoint: true fine_tune_checkpoint_type: 'full'",
     "full"),
])
def test_update_fine_tune_checkpoint_type(text, expected):
  train_config = text_format.Parse(text, train_pb2.TrainConfig())
  config_util.update_fine_tune_checkpoint_type(train_config)
  assert train_config.fine_tune_checkpoint_type == expected


def test_public_names_are_reexported():
  for name in ("ConfigError", "Problem", "validate", "set_field_by_path",
               "get_field_by_path", "parse_pipeline_text",
               "merge_external_params_with_configs",
               "update_input_reader_config"):
    assert hasattr(config_util, name), name


def test_config_handling_does_not_import_tensorflow():
  # od-config must start fast: config_util and its helpers reach TensorFlow
  # only for URL paths (gs://...), never at import.
  code = ("import sys; from object_detection.utils import config_util; "
          "from object_detection import config_tool; "
          "print('tensorflow' in sys.modules)")
  result = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, check=True)
  assert result.stdout.strip() == "False"


def test_round_trip_does_not_add_absent_parts():
  pipeline = config_util.parse_pipeline_text(
      "model { faster_rcnn { num_classes: 3 } }\ntrain_config { batch_size: 2 }")
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  rebuilt = config_util.create_pipeline_proto_from_configs(configs)
  assert rebuilt == pipeline
  assert not rebuilt.HasField("train_input_reader")
  assert not rebuilt.HasField("eval_config")


def test_saved_file_has_umask_permissions(tmp_path):
  previous = os.umask(0o027)
  try:
    written = config_util.save_pipeline_config(
        config_util.parse_pipeline_text(SAMPLE), str(tmp_path / "a.config"))
  finally:
    os.umask(previous)
  assert os.stat(written).st_mode & 0o777 == 0o640
