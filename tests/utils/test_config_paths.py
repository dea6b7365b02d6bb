"""Tests for object_detection/utils/config_paths.py."""

import pytest
from google.protobuf import text_format

from object_detection.protos import input_reader_pb2
from object_detection.protos import optimizer_pb2
from object_detection.protos import pipeline_pb2
from object_detection.utils import config_paths
from object_detection.utils import config_errors

ConfigError = config_errors.ConfigError
GRID = "model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"


def _pipeline(text=""):
  return text_format.Parse(text, pipeline_pb2.TrainEvalPipelineConfig())


def _raises(message, path, value=None, setter=True):
  with pytest.raises(ConfigError) as info:
    if setter:
      config_paths.set_field_by_path(message, path, value)
    else:
      config_paths.get_field_by_path(message, path)
  return str(info.value)


def test_parse_field_path():
  assert config_paths.parse_field_path("a.b[2].c[-1]") == [
      ("a", None), ("b", 2), ("c", -1)]
  for bad in ("", "a..b", "a.b[x]", "a[1", "1a"):
    with pytest.raises(ConfigError, match="invalid field path|empty"):
      config_paths.parse_field_path(bad)


def test_set_creates_absent_parents():
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, GRID + ".scales", "[0.25,0.5,1.0]")
  grid = pipeline.model.faster_rcnn.first_stage_anchor_generator \
      .grid_anchor_generator
  assert list(grid.scales) == [0.25, 0.5, 1.0]
  assert pipeline.model.WhichOneof("model") == "faster_rcnn"


def test_set_repeated_replaces_and_accepts_python_lists():
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, GRID + ".scales", [1, 2])
  config_paths.set_field_by_path(pipeline, GRID + ".scales", (3.5,))
  assert list(config_paths.get_field_by_path(pipeline, GRID + ".scales")) == [
      3.5]
  config_paths.set_field_by_path(pipeline, GRID + ".scales", "2")
  config_paths.set_field_by_path(pipeline, GRID + ".scales", "[]")
  assert not config_paths.get_field_by_path(pipeline, GRID + ".scales")


def test_set_repeated_element_and_append():
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, GRID + ".scales", [1, 2])
  config_paths.set_field_by_path(pipeline, GRID + ".scales[1]", "5")
  config_paths.set_field_by_path(pipeline, GRID + ".scales[-1]", 6)
  config_paths.set_field_by_path(pipeline, GRID + ".scales[2]", 7)
  assert list(config_paths.get_field_by_path(pipeline, GRID + ".scales")) == [
      1, 6, 7]
  assert _raises(pipeline, GRID + ".scales[5]", 1) == (
      GRID + ".scales: index 5 is out of range (valid: 0..3)")


def test_set_string_list_with_quotes_and_commas():
  pipeline = _pipeline()
  config_paths.set_field_by_path(
      pipeline, "train_config.freeze_variables", '["a,b", \'c\', d]')
  assert list(pipeline.train_config.freeze_variables) == ["a,b", "c", "d"]


def test_indexed_repeated_messages():
  pipeline = _pipeline("eval_input_reader { name: 'a' }")
  config_paths.set_field_by_path(pipeline, "eval_input_reader[0].shuffle",
                                 "false")
  config_paths.set_field_by_path(pipeline, "eval_input_reader[1].name", "b")
  assert [r.name for r in pipeline.eval_input_reader] == ["a", "b"]
  assert pipeline.eval_input_reader[0].shuffle is False
  assert config_paths.get_field_by_path(pipeline,
                                        "eval_input_reader[1].name") == "b"
  assert _raises(pipeline, "eval_input_reader.name", "c") == (
      "eval_input_reader: has 2 elements; pick one, e.g. eval_input_reader[0]")


def test_index_may_be_omitted_for_a_single_element():
  pipeline = _pipeline("eval_input_reader { name: 'a' }")
  config_paths.set_field_by_path(pipeline, "eval_input_reader.shuffle", False)
  assert config_paths.get_field_by_path(pipeline,
                                        "eval_input_reader.name") == "a"
  empty = _pipeline()
  config_paths.set_field_by_path(empty, "eval_input_reader.name", "new")
  assert empty.eval_input_reader[0].name == "new"


def test_enums_by_name_and_number():
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, "train_input_reader.mask_type",
                                 "PNG_MASKS")
  assert pipeline.train_input_reader.mask_type == (
      input_reader_pb2.PNG_MASKS)
  config_paths.set_field_by_path(pipeline, "train_input_reader.mask_type", 1)
  assert pipeline.train_input_reader.mask_type == (
      input_reader_pb2.NUMERICAL_MASKS)
  assert _raises(pipeline, "train_input_reader.mask_type", "PNG") == (
      "train_input_reader.mask_type: unknown value 'PNG' for enum "
      "InstanceMaskType (valid: DEFAULT, NUMERICAL_MASKS, PNG_MASKS); did you "
      "mean 'PNG_MASKS'?")
  assert _raises(pipeline, "train_input_reader.mask_type", 7) == (
      "train_input_reader.mask_type: 7 is not a value of enum "
      "InstanceMaskType (valid: DEFAULT=0, NUMERICAL_MASKS=1, PNG_MASKS=2)")


@pytest.mark.parametrize("value, expected", [
    ("true", True), ("False", False), ("1", True), ("no", False),
    (True, True), (0, False)])
def test_bools(value, expected):
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, "train_config.use_bfloat16", value)
  assert pipeline.train_config.use_bfloat16 is expected


@pytest.mark.parametrize("value, expected", [
    ("4", 4), (4, 4), (4.0, 4), ("1e3", 1000), ("'7'", 7)])
def test_ints(value, expected):
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, "train_config.batch_size", value)
  assert pipeline.train_config.batch_size == expected


def test_scalar_errors_are_pinned():
  pipeline = _pipeline()
  assert _raises(pipeline, "train_config.batch_size", "2.5") == (
      "train_config.batch_size: expects an integer (uint32), got '2.5'")
  assert _raises(pipeline, "train_config.batch_size", True) == (
      "train_config.batch_size: expects an integer (uint32), got True")
  assert _raises(pipeline, "train_config.batch_size", -1) == (
      "train_config.batch_size: -1 is out of range for uint32 "
      "[0, 4294967295]")
  assert _raises(pipeline, "train_config.use_bfloat16", "maybe") == (
      "train_config.use_bfloat16: expects true or false, got 'maybe'")
  assert _raises(pipeline, GRID + ".scales", "[1, x]") == (
      GRID + ".scales[1]: expects a number, got 'x'")
  assert _raises(pipeline, "train_config.fine_tune_checkpoint", 3) == (
      "train_config.fine_tune_checkpoint: expects a string, got 3")


def test_strings_are_unquoted():
  pipeline = _pipeline()
  config_paths.set_field_by_path(pipeline, "train_config.fine_tune_checkpoint",
                                 '"ckpt-0"')
  assert pipeline.train_config.fine_tune_checkpoint == "ckpt-0"


def test_unknown_field_errors_are_pinned():
  pipeline = _pipeline()
  assert _raises(pipeline, GRID + ".scale", 1) == (
      GRID + ".scale: unknown field 'scale' in GridAnchorGenerator; did you "
      "mean 'scales'?")
  assert _raises(pipeline, "trian_config.batch_size", 1) == (
      "trian_config: unknown field 'trian_config' in TrainEvalPipelineConfig; "
      "did you mean 'train_config' or 'eval_config'?")
  assert _raises(pipeline, "train_config.batch_size.x", 1) == (
      "train_config.batch_size: is a scalar field; it has no field 'x'")
  assert _raises(pipeline, "train_config[0].batch_size", 1) == (
      "train_config: is not a repeated field; drop the [0]")


def test_set_message_from_text_dict_and_message():
  pipeline = _pipeline()
  path = "train_config.optimizer.adam_optimizer.learning_rate"
  config_paths.set_field_by_path(
      pipeline, path, "{ constant_learning_rate { learning_rate: 0.5 } }")
  rate = pipeline.train_config.optimizer.adam_optimizer.learning_rate
  assert rate.constant_learning_rate.learning_rate == 0.5
  config_paths.set_field_by_path(
      pipeline, path,
      {"exponential_decay_learning_rate": {"decay_steps": 7}})
  assert rate.WhichOneof("learning_rate") == "exponential_decay_learning_rate"
  assert rate.exponential_decay_learning_rate.decay_steps == 7
  replacement = optimizer_pb2.LearningRate()
  replacement.cosine_decay_learning_rate.total_steps = 9
  config_paths.set_field_by_path(pipeline, path, replacement)
  assert rate == replacement


def test_empty_message_value_marks_presence():
  pipeline = _pipeline()
  config_paths.set_field_by_path(
      pipeline, "model.faster_rcnn.image_resizer.identity_resizer", "{}")
  resizer = pipeline.model.faster_rcnn.image_resizer
  assert resizer.WhichOneof("image_resizer_oneof") == "identity_resizer"


def test_message_value_errors():
  pipeline = _pipeline()
  path = "train_config.optimizer.adam_optimizer.learning_rate"
  message = _raises(pipeline, path, "{ constant_learning_rat {} }")
  assert message.startswith(
      "<value of %s>:1:2: unknown field 'constant_learning_rat' in "
      "LearningRate; did you mean 'constant_learning_rate', " % path)
  assert _raises(pipeline, path, optimizer_pb2.AdamOptimizer()) == (
      path + ": expects a LearningRate message, got a AdamOptimizer")


def test_path_below_another_oneof_member_is_refused():
  pipeline = _pipeline("train_config { optimizer { momentum_optimizer {"
                       " momentum_optimizer_value: 0.8 } } }")
  before = pipeline.SerializeToString()
  message = ("train_config.optimizer.adam_optimizer: train_config.optimizer "
             "holds 'momentum_optimizer' (oneof 'optimizer'), not "
             "'adam_optimizer'; to switch, set adam_optimizer as a whole, "
             "e.g. train_config.optimizer.adam_optimizer='{ ... }'")
  assert _raises(pipeline, "train_config.optimizer.adam_optimizer.epsilon",
                 value=0.1) == message
  assert _raises(pipeline, "train_config.optimizer.adam_optimizer.epsilon",
                 setter=False) == message
  assert pipeline.SerializeToString() == before  # nothing was changed


def test_setting_a_oneof_member_as_a_whole_switches():
  pipeline = _pipeline("train_config { optimizer { momentum_optimizer {} } }")
  config_paths.set_field_by_path(
      pipeline, "train_config.optimizer.adam_optimizer", "{ epsilon: 0.1 }")
  assert pipeline.train_config.optimizer.WhichOneof("optimizer") == (
      "adam_optimizer")
  assert pipeline.train_config.optimizer.adam_optimizer.epsilon == (
      pytest.approx(0.1))


def test_get_reads_defaults_and_errors():
  pipeline = _pipeline()
  assert config_paths.get_field_by_path(pipeline,
                                        "train_config.batch_size") == 32
  assert _raises(pipeline, "eval_input_reader[0].name",
                 setter=False) == ("eval_input_reader: index 0 is out of "
                                   "range: the field is empty")
  assert _raises(pipeline, "eval_input_reader.name", setter=False) == (
      "eval_input_reader: has no elements")


def test_has_field_by_path():
  pipeline = _pipeline("train_config { batch_size: 2 } "
                       "eval_input_reader { shuffle: false }")
  assert config_paths.has_field_by_path(pipeline, "train_config.batch_size")
  assert not config_paths.has_field_by_path(pipeline, "train_config.num_steps")
  assert not config_paths.has_field_by_path(pipeline, GRID + ".scales")
  assert config_paths.has_field_by_path(pipeline, "eval_input_reader")
  assert config_paths.has_field_by_path(pipeline, "eval_input_reader.shuffle")
  assert not config_paths.has_field_by_path(pipeline,
                                            "eval_input_reader[1].shuffle")


def test_find_field_descriptor():
  field = config_paths.find_field_descriptor(
      pipeline_pb2.TrainEvalPipelineConfig.DESCRIPTOR,
      "eval_input_reader[0].mask_type")
  assert field.enum_type.name == "InstanceMaskType"


def test_split_list():
  assert config_paths.split_list("[ 1, 2 ,3 ]") == ["1", "2", "3"]
  assert config_paths.split_list("[]") == []
  assert config_paths.split_list("x") == ["x"]
  assert config_paths.split_list(["x"]) == ["x"]
