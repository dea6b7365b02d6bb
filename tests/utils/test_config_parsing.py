"""Tests for object_detection/utils/config_parsing.py and config_errors.py."""

import pytest
from google.protobuf import text_format

from tests.conftest import upstream_params
from object_detection.protos import pipeline_pb2
from object_detection.protos import string_int_label_map_pb2
from object_detection.protos import train_pb2
from object_detection.utils import config_errors
from object_detection.utils import config_parsing

ConfigError = config_errors.ConfigError
Pipeline = pipeline_pb2.TrainEvalPipelineConfig

ANCHORS = """model {
  faster_rcnn {
    first_stage_anchor_generator {
      grid_anchor_generator {
        aspect_ratio: [0.5, 1.0]
      }
    }
  }
}
"""


def _error(text, message_class=Pipeline, path="pipeline.config"):
  with pytest.raises(ConfigError) as info:
    config_parsing.parse_text(text, message_class, path)
  return info.value


def test_unknown_field_message_is_pinned():
  error = _error(ANCHORS)
  assert str(error) == (
      "pipeline.config:5:9: unknown field 'aspect_ratio' in "
      "GridAnchorGenerator; did you mean 'aspect_ratios'?\n"
      "            aspect_ratio: [0.5, 1.0]\n"
      "            ^\n"
      "  in model.faster_rcnn.first_stage_anchor_generator."
      "grid_anchor_generator")
  assert error.field_path == ("model.faster_rcnn.first_stage_anchor_generator"
                              ".grid_anchor_generator")
  assert error.reason == ("unknown field 'aspect_ratio' in "
                          "GridAnchorGenerator; did you mean "
                          "'aspect_ratios'?")


def test_unknown_field_without_close_name_has_no_suggestion():
  error = _error("train_config {\n  zzzz: 1\n}\n")
  assert str(error) == ("pipeline.config:2:3: unknown field 'zzzz' in "
                        "TrainConfig\n"
                        "      zzzz: 1\n"
                        "      ^\n"
                        "  in train_config")
  assert error.suggestions == ()


def test_unknown_top_level_field():
  error = _error("trian_config {\n}\n")
  assert str(error) == ("pipeline.config:1:1: unknown field 'trian_config' in "
                        "TrainEvalPipelineConfig; did you mean "
                        "'train_config' or 'eval_config'?\n"
                        "    trian_config {\n"
                        "    ^\n"
                        "  in <top level>")
  assert error.field_path == ""


def test_wrong_type_message_is_pinned():
  error = _error("train_config {\n  batch_size: 2.5\n}\n")
  assert str(error) == ("pipeline.config:2:15: field 'batch_size' expects an "
                        "integer, got 2.5\n"
                        "      batch_size: 2.5\n"
                        "                  ^\n"
                        "  in train_config")


def test_wrong_type_in_list():
  error = _error("model { faster_rcnn { first_stage_anchor_generator { "
                 "grid_anchor_generator {\n scales: [1.0, big] } } } }")
  assert error.reason == "field 'scales' expects a number, got big"
  assert (error.line, error.column) == (2, 16)


def test_bad_bool():
  error = _error("train_config { sync_replicas: maybe }")
  assert error.reason == "field 'sync_replicas' expects true or false"


def test_unknown_enum_value_lists_valid_ones():
  error = _error("train_input_reader {\n  mask_type: PNG\n}\n")
  assert str(error) == (
      "pipeline.config:2:14: unknown value PNG for enum InstanceMaskType "
      "(valid: DEFAULT, NUMERICAL_MASKS, PNG_MASKS); did you mean "
      "'PNG_MASKS'?\n"
      "      mask_type: PNG\n"
      "                 ^\n"
      "  in train_input_reader")


def test_syntax_error_missing_colon():
  error = _error("train_config {\n  batch_size 2\n}\n")
  assert str(error) == ("pipeline.config:2:14: syntax error: Expected \":\".\n"
                        "      batch_size 2\n"
                        "                 ^\n"
                        "  in train_config")


def test_syntax_error_unclosed_block():
  error = _error("train_config {\n  batch_size: 2\n")
  assert error.reason == 'syntax error: Expected "}".'
  assert error.field_path == "train_config"


def test_error_inside_repeated_message_names_its_index():
  text = ("train_config {\n"
          "  data_augmentation_options { random_horizontal_flip {} }\n"
          "  data_augmentation_options {\n"
          "    random_horizontal_flip { probabilty: 0.5 }\n"
          "  }\n"
          "}\n")
  error = _error(text)
  assert error.field_path == ("train_config.data_augmentation_options[1]"
                              ".random_horizontal_flip")
  assert error.suggestions == ("probability",)


def test_eval_input_reader_index_in_path():
  error = _error("eval_input_reader { name: 'a' }\n"
                 "eval_input_reader { shufle: false }\n")
  assert error.field_path == "eval_input_reader[1]"
  assert "did you mean 'shuffle'?" in error.reason


def test_comments_and_strings_do_not_confuse_the_path():
  text = ('# train_config {\n'
          'train_input_reader {\n'
          '  label_map_path: "a { b"  # }\n'
          '  tf_record_input_reader { input_path: "x}" }\n'
          '  shufle: true\n'
          '}\n')
  error = _error(text)
  assert error.field_path == "train_input_reader"
  assert (error.line, error.column) == (5, 3)


def test_caret_keeps_tabs():
  error = _error("train_config {\n\tbatch_size: x\n}\n")
  assert str(error).splitlines()[1:3] == ["    \tbatch_size: x",
                                          "    \t            ^"]


def test_merge_leaves_message_unchanged_on_error():
  message = text_format.Parse("batch_size: 3", train_pb2.TrainConfig())
  with pytest.raises(ConfigError):
    config_parsing.merge_text("num_steps: 5 batch_size: x", message)
  assert message == text_format.Parse("batch_size: 3", train_pb2.TrainConfig())


def test_merge_semantics_match_text_format():
  text = ("batch_size: 3 batch_size: 4\n"
          "optimizer { momentum_optimizer { momentum_optimizer_value: 0.5 } }\n"
          "optimizer { adam_optimizer { } }\n"
          "update_trainable_variables: 'a' update_trainable_variables: 'b'\n")
  start = "num_steps: 9 update_trainable_variables: 'z'"
  ours = text_format.Parse(start, train_pb2.TrainConfig())
  config_parsing.merge_text(text, ours)
  reference = text_format.Parse(start, train_pb2.TrainConfig())
  text_format.Merge(text, reference)
  assert ours == reference
  assert ours.batch_size == 4
  assert ours.optimizer.WhichOneof("optimizer") == "adam_optimizer"


@pytest.mark.parametrize("text", [
    'fine_tune_checkpoint: "a\\"b"',            # escapes: text_format path
    "batch_size: 0x10",                         # hex
    "batch_size: 010",                          # octal
    "fine_tune_checkpoint: 'a' \"b\"",          # concatenation
    "optimizer < adam_optimizer: { } >",
    "batch_size: 2; num_steps: 3,",
    "use_bfloat16: True sync_replicas: t",
    "max_number_of_boxes: 5\n# comment } {\n",
    "freeze_variables: []",
    "optimizer { rms_prop_optimizer { epsilon: 1e-3 decay: .5 } }",
    "optimizer { rms_prop_optimizer { epsilon: inf decay: 1.5f } }",
    "optimizer { rms_prop_optimizer { epsilon: -0.0 } }",
])
def test_fast_path_and_fallback_agree_with_text_format(text):
  reference = text_format.Merge(text, train_pb2.TrainConfig())
  assert config_parsing.parse_text(text, train_pb2.TrainConfig) == reference


@pytest.mark.parametrize("text", [
    "batch_size: -1",                 # uint32 out of range
    "batch_size: 99999999999",
    "batch_size: '3'",
    "batch_size: 3 }",
    "optimizer: 3",
    "freeze_variables: [a]",
    "freeze_variables: ['a',]",
])
def test_fast_path_rejects_what_text_format_rejects(text):
  with pytest.raises(text_format.ParseError):
    text_format.Merge(text, train_pb2.TrainConfig())
  with pytest.raises(ConfigError):
    config_parsing.parse_text(text, train_pb2.TrainConfig)


@pytest.mark.parametrize("path", upstream_params("*/*.config"))
def test_fast_path_handles_upstream_configs_exactly(path):
  with open(path) as f:
    text = f.read()
  assert config_parsing.fast_path_accepts(text, Pipeline)
  reference = text_format.Merge(text, Pipeline())
  assert config_parsing.parse_text(text, Pipeline, path) == reference


@pytest.mark.parametrize("path", upstream_params("label_maps/*.pbtxt"))
def test_fast_path_handles_upstream_label_maps_exactly(path):
  label_map_class = string_int_label_map_pb2.StringIntLabelMap
  with open(path) as f:
    text = f.read()
  reference = text_format.Merge(text, label_map_class())
  assert config_parsing.parse_text(text, label_map_class, path) == reference


def test_closest_names_and_did_you_mean():
  assert config_errors.closest_names("scale", ["scales", "height"]) == [
      "scales"]
  assert config_errors.did_you_mean([]) == ""
  assert config_errors.did_you_mean(["a"]) == "did you mean 'a'?"
  assert config_errors.did_you_mean(["a", "b", "c"]) == (
      "did you mean 'a', 'b' or 'c'?")
