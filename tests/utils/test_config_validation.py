"""Tests for object_detection/utils/config_validation.py (config_util.validate)."""

import os

import pytest
from google.protobuf import text_format

from tests.conftest import upstream_params
from object_detection.protos import pipeline_pb2
from object_detection.utils import config_util
from object_detection.builders import model_builder
from object_detection.utils import config_validation

Problem = config_util.Problem

LABELS = """
item { id: 1 name: "cat" }
item { id: 2 name: "dog" }
item { id: 3 name: "bird" }
"""

CLEAN = """
model {
  faster_rcnn {
    num_classes: 3
    image_resizer {
      keep_aspect_ratio_resizer { min_dimension: 64 max_dimension: 128 }
    }
    feature_extractor { type: "faster_rcnn_resnet50_keras" }
    number_of_stages: 3
    first_stage_anchor_generator {
      grid_anchor_generator { scales: [0.5, 1.0] aspect_ratios: [1.0] }
    }
    first_stage_box_predictor_conv_hyperparams {
      op: CONV
      regularizer { l2_regularizer { weight: 0.0 } }
      initializer { truncated_normal_initializer { stddev: 0.01 } }
    }
    first_stage_max_proposals: 50
    second_stage_batch_size: 32
    initial_crop_size: 14
    maxpool_kernel_size: 2
    maxpool_stride: 2
    second_stage_box_predictor {
      mask_rcnn_box_predictor {
        fc_hyperparams {
          op: FC
          regularizer { l2_regularizer { weight: 0.0 } }
          initializer { variance_scaling_initializer { } }
        }
        conv_hyperparams {
          op: CONV
          regularizer { l2_regularizer { weight: 0.0 } }
          initializer { truncated_normal_initializer { stddev: 0.01 } }
        }
        predict_instance_masks: true
      }
    }
    second_stage_post_processing {
      batch_non_max_suppression {
        iou_threshold: 0.6
        max_detections_per_class: 10
        max_total_detections: 10
      }
      score_converter: SOFTMAX
    }
  }
}
train_config {
  batch_size: 2
  num_steps: 1000
  optimizer {
    momentum_optimizer {
      learning_rate {
        manual_step_learning_rate {
          initial_learning_rate: 0.01
          schedule { step: 500 learning_rate: 0.001 }
          schedule { step: 800 learning_rate: 0.0001 }
        }
      }
    }
  }
}
train_input_reader {
  label_map_path: "labels.pbtxt"
  load_instance_masks: true
  tf_record_input_reader { input_path: "train.record-?????-of-00002" }
}
eval_config { batch_size: 1 }
eval_input_reader {
  label_map_path: "labels.pbtxt"
  load_instance_masks: true
  tf_record_input_reader { input_path: "val.record@2" }
}
"""


@pytest.fixture
def workdir(tmp_path, monkeypatch):
  """A folder with the label map and data files CLEAN names, as cwd."""
  monkeypatch.chdir(tmp_path)
  (tmp_path / "labels.pbtxt").write_text(LABELS)
  for name in ("train.record-00000-of-00002", "train.record-00001-of-00002",
               "val.record-00000-of-00002"):
    (tmp_path / name).write_bytes(b"")
  return tmp_path


def _validate(text=CLEAN, edits=None, config_path=None):
  pipeline = text_format.Parse(text, pipeline_pb2.TrainEvalPipelineConfig())
  configs = config_util.create_configs_from_pipeline_proto(pipeline)
  for path, value in (edits or {}).items():
    config_util.set_field_by_path(pipeline, path, value)
  return config_util.validate(configs, config_path=config_path)


def test_clean_config_has_no_problems(workdir):
  assert _validate() == []


def test_accepts_a_pipeline_message(workdir):
  pipeline = text_format.Parse(CLEAN, pipeline_pb2.TrainEvalPipelineConfig())
  assert config_util.validate(pipeline) == []


def test_problem_str():
  problem = Problem("error", "train_config.batch_size", "must be >= 1, got 0")
  assert str(problem) == ("error: train_config.batch_size: must be >= 1, "
                          "got 0")


def test_num_classes_smaller_than_largest_id(workdir):
  assert _validate(edits={"model.faster_rcnn.num_classes": 2}) == [
      Problem("error", "model.faster_rcnn.num_classes",
              "label map labels.pbtxt (from train_input_reader.label_map_path)"
              " has 3 classes with ids up to 3, but num_classes is 2: set "
              "num_classes to 3")]


def test_num_classes_larger_than_largest_id(workdir):
  assert _validate(edits={"model.faster_rcnn.num_classes": 5}) == [
      Problem("warning", "model.faster_rcnn.num_classes",
              "label map labels.pbtxt (from train_input_reader.label_map_path)"
              " has 3 classes with ids up to 3, but num_classes is 5: ids "
              "4..5 are never labelled")]


def test_num_classes_zero(workdir):
  assert _validate(edits={"model.faster_rcnn.num_classes": 0}) == [
      Problem("error", "model.faster_rcnn.num_classes", "must be >= 1, got 0")]


@pytest.mark.parametrize("labels, message", [
    ('item { id: 0 name: "cat" }',
     "item[0] ('cat'): id 0 is not allowed; ids start at 1 (0 only for "
     "'background')"),
    ('item { id: 1 name: "cat" } item { id: 1 name: "dog" }',
     "item[1] ('dog'): id 1 is also used by item[0] ('cat')"),
    ('item { id: 1 name: "cat" } item { id: 2 name: "cat" }',
     "item[1] ('cat'): name 'cat' is also used by item[0] ('cat')"),
])
def test_label_map_rules(workdir, labels, message):
  (workdir / "labels.pbtxt").write_text(labels)
  problems = _validate(edits={"model.faster_rcnn.num_classes": 1})
  assert problems[0] == Problem(
      "error", "train_input_reader.label_map_path",
      "label map labels.pbtxt: " + message)
  assert all(p.severity == "error" for p in problems)


def test_unparsable_label_map(workdir):
  (workdir / "labels.pbtxt").write_text("item { idd: 1 }\n")
  problems = _validate()
  assert len(problems) == 1
  assert problems[0].field_path == "train_input_reader.label_map_path"
  assert problems[0].message.startswith(
      "cannot read the label map: labels.pbtxt:1:8: unknown field 'idd' in "
      "StringIntLabelMapItem; did you mean 'id'?")


def test_missing_paths_are_warnings(workdir):
  os.remove(workdir / "labels.pbtxt")
  os.remove(workdir / "val.record-00000-of-00002")
  assert _validate(edits={
      "train_input_reader.tf_record_input_reader.input_path": "missing.rec"}
                  ) == [
      Problem("warning",
              "train_input_reader.tf_record_input_reader.input_path[0]",
              "input 'missing.rec' does not exist"),
      Problem("warning", "train_input_reader.label_map_path",
              "label map 'labels.pbtxt' does not exist"),
      Problem("warning",
              "eval_input_reader[0].tf_record_input_reader.input_path[0]",
              "input 'val.record@2' does not exist"),
  ]  # The label map both readers share is reported once.


def test_unsharded_name_of_sharded_files_counts(workdir):
  assert _validate(edits={
      "train_input_reader.tf_record_input_reader.input_path": "train.record"}
                  ) == []


def test_missing_path_hint_relative_to_config(workdir, monkeypatch):
  elsewhere = workdir / "elsewhere"
  elsewhere.mkdir()
  monkeypatch.chdir(elsewhere)
  problems = _validate(config_path=str(workdir / "pipeline.config"))
  assert problems[0] == Problem(
      "warning", "train_input_reader.tf_record_input_reader.input_path[0]",
      "input 'train.record-?????-of-00002' does not exist; it exists relative "
      "to the config file's folder, but paths are read relative to the "
      "working directory")


def test_placeholder_is_an_error(workdir):
  problems = _validate(edits={
      "train_input_reader.label_map_path": "PATH_TO_BE_CONFIGURED/l.pbtxt",
      "train_config.fine_tune_checkpoint": "PATH_TO_BE_CONFIGURED/ckpt"})
  assert problems == [
      Problem("error", "train_config.fine_tune_checkpoint",
              "still holds the placeholder PATH_TO_BE_CONFIGURED "
              "('PATH_TO_BE_CONFIGURED/ckpt'); set it to a real path"),
      Problem("error", "train_input_reader.label_map_path",
              "still holds the placeholder PATH_TO_BE_CONFIGURED "
              "('PATH_TO_BE_CONFIGURED/l.pbtxt'); set it to a real path"),
  ]


FPN = {
    "model.faster_rcnn.feature_extractor.type":
        "faster_rcnn_resnet50_fpn_keras",
    "model.faster_rcnn.first_stage_anchor_generator":
        "multiscale_anchor_generator { min_level: 3 max_level: 7 "
        "aspect_ratios: [0.5, 1.0, 2.0] normalize_coordinates: false }",
}


def test_multiscale_levels_against_default_fpn_levels(workdir):
  assert _validate(edits=FPN) == [Problem(
      "error", "model.faster_rcnn.first_stage_anchor_generator."
      "multiscale_anchor_generator",
      "anchor levels 3..7 do not match the pyramid levels 2..6 that feature "
      "extractor 'faster_rcnn_resnet50_fpn_keras' provides; set min_level: 2 "
      "and max_level: 6")]


def test_multiscale_levels_against_explicit_fpn(workdir):
  edits = dict(FPN)
  edits["model.faster_rcnn.feature_extractor.fpn"] = (
      "min_level: 3 max_level: 7")
  assert _validate(edits=edits) == []


def test_multiscale_anchors_without_pyramid(workdir):
  edits = dict(FPN)
  edits["model.faster_rcnn.feature_extractor.type"] = (
      "faster_rcnn_resnet50_keras")
  assert _validate(edits=edits) == [Problem(
      "error", "model.faster_rcnn.first_stage_anchor_generator."
      "multiscale_anchor_generator",
      "makes anchors for levels 3..7, but feature extractor "
      "'faster_rcnn_resnet50_keras' has no feature pyramid (one feature map);"
      " use grid_anchor_generator or an *_fpn_keras extractor")]


def test_grid_anchors_with_pyramid(workdir):
  assert _validate(edits={"model.faster_rcnn.feature_extractor.type":
                          "faster_rcnn_resnet101_fpn_keras"}) == [Problem(
      "error", "model.faster_rcnn.first_stage_anchor_generator",
      "grid_anchor_generator makes anchors for one feature map, but feature "
      "extractor 'faster_rcnn_resnet101_fpn_keras' provides pyramid levels "
      "2..6; use multiscale_anchor_generator { min_level: 2 max_level: 6 }")]


def test_ssd_levels():
  problems = config_util.validate(text_format.Parse(
      "model { ssd { feature_extractor { fpn { min_level: 3 max_level: 6 } }"
      " anchor_generator { multiscale_anchor_generator { min_level: 3 "
      "max_level: 7 } } image_resizer { fixed_shape_resizer {} } "
      "num_classes: 1 } }", pipeline_pb2.TrainEvalPipelineConfig()))
  assert Problem("error",
                 "model.ssd.anchor_generator.multiscale_anchor_generator",
                 "anchor levels 3..7 do not match the pyramid levels 3..6 of "
                 "model.ssd.feature_extractor.fpn") in problems


@pytest.mark.parametrize("edits, expected", [
    ({"model.faster_rcnn.image_resizer":
      "{ fixed_shape_resizer { height: 0 width: 64 } }"},
     [Problem("error", "model.faster_rcnn.image_resizer.fixed_shape_resizer"
              ".height", "must be > 0, got 0")]),
    ({"model.faster_rcnn.image_resizer.keep_aspect_ratio_resizer"
      ".max_dimension": 32},
     [Problem("error", "model.faster_rcnn.image_resizer."
              "keep_aspect_ratio_resizer.max_dimension",
              "must be >= min_dimension (64), got 32")]),
    ({"model.faster_rcnn.image_resizer": "{}"},
     [Problem("error", "model.faster_rcnn.image_resizer",
              "no resizer type is set (e.g. keep_aspect_ratio_resizer "
              "{ min_dimension: 600 max_dimension: 1024 })")]),
])
def test_image_resizer(workdir, edits, expected):
  assert _validate(edits=edits) == expected


def test_batch_sizes(workdir):
  assert _validate(edits={"train_config.batch_size": 0,
                          "eval_config.batch_size": 0}) == [
      Problem("error", "train_config.batch_size", "must be >= 1, got 0"),
      Problem("error", "eval_config.batch_size", "must be >= 1, got 0")]


LR = "train_config.optimizer.momentum_optimizer.learning_rate"


def test_manual_step_boundaries_must_increase(workdir):
  problems = _validate(edits={LR + ".manual_step_learning_rate.schedule[1]"
                              ".step": 500})
  assert problems == [Problem(
      "error", LR + ".manual_step_learning_rate.schedule[1].step",
      "boundaries must increase: 500 follows 500 (steps: [500, 500])")]


def test_manual_step_first_step_zero(workdir):
  problems = _validate(edits={LR + ".manual_step_learning_rate.schedule[0]"
                              ".step": 0})
  assert problems == [Problem(
      "error", LR + ".manual_step_learning_rate.schedule[0].step",
      "must be > 0: the rate before the first step is initial_learning_rate")]


def test_cosine_warmup(workdir):
  problems = _validate(edits={LR: "cosine_decay_learning_rate { "
                              "learning_rate_base: 0.01 total_steps: 100 "
                              "warmup_learning_rate: 0.02 warmup_steps: 2000 "
                              "}"})
  cosine = LR + ".cosine_decay_learning_rate"
  assert problems == [
      Problem("error", cosine + ".warmup_steps",
              "warm-up (2000 steps) must not be longer than total_steps "
              "(100)"),
      Problem("error", cosine + ".warmup_learning_rate",
              "0.02 must be <= learning_rate_base (0.01)"),
      Problem("warning", cosine + ".warmup_steps",
              "training stops at train_config.num_steps = 1000, before the "
              "2000-step warm-up ends"),
  ]


def test_exponential_decay_steps(workdir):
  assert _validate(edits={LR: "exponential_decay_learning_rate { "
                          "decay_steps: 0 }"}) == [Problem(
      "error", LR + ".exponential_decay_learning_rate.decay_steps",
      "must be >= 1, got 0")]


def test_masks_predicted_but_not_loaded(workdir):
  problems = _validate(edits={"train_input_reader.load_instance_masks": False,
                              "eval_input_reader[0].load_instance_masks":
                              False})
  assert [(p.severity, p.field_path) for p in problems] == [
      ("error", "train_input_reader.load_instance_masks"),
      ("warning", "eval_input_reader[0].load_instance_masks")]
  assert problems[0].message == (
      "the model predicts instance masks (model.faster_rcnn.second_stage_box_"
      "predictor.mask_rcnn_box_predictor.predict_instance_masks) but this "
      "reader does not load them, so training has no mask targets; set "
      "load_instance_masks: true")


def test_unknown_feature_extractor(workdir):
  problems = _validate(edits={"model.faster_rcnn.feature_extractor.type":
                              "faster_rcnn_resnet51_keras"})
  assert len(problems) == 1
  assert problems[0].field_path == "model.faster_rcnn.feature_extractor.type"
  assert problems[0].message.startswith(
      "'faster_rcnn_resnet51_keras' is not a feature extractor the model "
      "builder knows (did you mean 'faster_rcnn_resnet50_keras'")
  assert problems[0].message.endswith(
      "; valid: " + ", ".join(sorted(
          model_builder.FASTER_RCNN_FEATURE_EXTRACTOR_TYPES)))


def test_model_not_set():
  problems = config_util.validate(pipeline_pb2.TrainEvalPipelineConfig())
  assert problems[0] == Problem(
      "error", "model", "no model type is set (e.g. faster_rcnn { ... })")


@pytest.mark.parametrize("path", upstream_params("*/*.config"))
def test_upstream_configs_validate_without_crashing(path):
  problems = config_util.validate(
      config_util.get_configs_from_pipeline_file(path), config_path=path)
  assert all(p.severity in ("error", "warning") for p in problems)
  with open(path) as f:
    if "PATH_TO_BE_CONFIGURED" in f.read():
      assert any("PATH_TO_BE_CONFIGURED" in p.message for p in problems)


def test_model_builder_rules_are_reported_before_training(workdir):
  # Only the model builder knows this rule; validate() runs its checks
  # without building any network.
  problems = _validate(edits={"model.faster_rcnn.second_stage_batch_size":
                              "500"})
  assert problems == [Problem(
      "error", "model.faster_rcnn.second_stage_batch_size",
      "must be <= first_stage_max_proposals (50), got 500")]


def test_pipeline_without_input_readers_has_no_reader_problems(workdir):
  # Benchmark-style pipelines have a model and a train_config only.
  pipeline = text_format.Parse(CLEAN, pipeline_pb2.TrainEvalPipelineConfig())
  pipeline.ClearField("train_input_reader")
  pipeline.ClearField("eval_input_reader")
  assert config_util.validate(pipeline) == []
