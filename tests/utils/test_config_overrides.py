"""Tests for object_detection/utils/config_overrides.py (via config_util)."""

import pytest
from google.protobuf import text_format

from object_detection.protos import input_reader_pb2
from object_detection.protos import pipeline_pb2
from object_detection.utils import config_util

ConfigError = config_util.ConfigError

FASTER = """
model {
  faster_rcnn {
    num_classes: 3
    first_stage_localization_loss_weight: 2.0
    first_stage_objectness_loss_weight: 2.0
    second_stage_classification_loss {
      weighted_sigmoid_focal { gamma: 2.0 alpha: 0.25 }
    }
  }
}
train_config {
  batch_size: 2
  optimizer {
    momentum_optimizer {
      learning_rate {
        manual_step_learning_rate {
          initial_learning_rate: 0.01
          schedule { step: 100 learning_rate: 0.001 }
          schedule { step: 200 learning_rate: 0.0001 }
        }
      }
      momentum_optimizer_value: 0.9
    }
  }
}
train_input_reader {
  name: "train"
  tf_record_input_reader { input_path: "a.record" }
}
eval_input_reader {
  name: "coco"
  tf_record_input_reader { input_path: "b.record" }
}
"""

SSD = """
model { ssd { num_classes: 5 loss { classification_loss {
  weighted_sigmoid {} } } } }
train_config { optimizer { adam_optimizer { learning_rate {
  cosine_decay_learning_rate { learning_rate_base: 0.04
                               warmup_learning_rate: 0.01 } } } } }
eval_input_reader { name: "a" }
eval_input_reader { name: "b" }
"""


def _configs(text=FASTER):
  return config_util.create_configs_from_pipeline_proto(
      text_format.Parse(text, pipeline_pb2.TrainEvalPipelineConfig()))


def _merge(configs, **kwargs):
  return config_util.merge_external_params_with_configs(
      configs, kwargs_dict=kwargs)


def _error(configs, key, value):
  with pytest.raises(ConfigError) as info:
    config_util.merge_external_params_with_configs(
        configs, kwargs_dict={key: value})
  return str(info.value)


def _lr(configs):
  optimizer = configs["train_config"].optimizer
  return getattr(optimizer, optimizer.WhichOneof("optimizer")).learning_rate


@pytest.mark.parametrize("value", [0.02, "0.02"])
def test_learning_rate_scales_manual_step_schedule(value):
  configs = _merge(_configs(), learning_rate=value)
  manual = _lr(configs).manual_step_learning_rate
  assert manual.initial_learning_rate == pytest.approx(0.02)
  assert [s.learning_rate for s in manual.schedule] == pytest.approx(
      [0.002, 0.0002])


def test_learning_rate_cosine_keeps_warmup_ratio():
  configs = _merge(_configs(SSD), learning_rate=0.08)
  cosine = _lr(configs).cosine_decay_learning_rate
  assert cosine.learning_rate_base == pytest.approx(0.08)
  assert cosine.warmup_learning_rate == pytest.approx(0.02)


@pytest.mark.parametrize("schedule, field", [
    ("constant_learning_rate {}", "constant_learning_rate.learning_rate"),
    ("exponential_decay_learning_rate {}",
     "exponential_decay_learning_rate.initial_learning_rate"),
])
def test_learning_rate_simple_schedules(schedule, field):
  configs = _configs("train_config { optimizer { rms_prop_optimizer { "
                     "learning_rate { %s } } } }" % schedule)
  _merge(configs, learning_rate=0.3)
  assert config_util.get_field_by_path(_lr(configs), field) == (
      pytest.approx(0.3))


def test_learning_rate_without_optimizer_is_an_error():
  assert _error(_configs("model {}"), "learning_rate", 0.1) == (
      "override learning_rate: train_config.optimizer is unset; it must be "
      "one of rms_prop_optimizer, momentum_optimizer, adam_optimizer")


@pytest.mark.parametrize("value, expected", [(3.4, 3), ("8", 8), (0, 1)])
def test_batch_size(value, expected):
  assert _merge(_configs(), batch_size=value)["train_config"].batch_size == (
      expected)


def test_momentum_is_clipped():
  configs = _merge(_configs(), momentum_optimizer_value="1.5")
  assert configs["train_config"].optimizer.momentum_optimizer \
      .momentum_optimizer_value == 1.0
  assert _error(_configs(SSD), "momentum_optimizer_value", 0.5).startswith(
      "override momentum_optimizer_value: train_config.optimizer is "
      "adam_optimizer; it must be one of rms_prop_optimizer, "
      "momentum_optimizer")


def test_classification_localization_weight_ratio():
  model = _merge(_configs(), classification_localization_weight_ratio=0.5)[
      "model"].faster_rcnn
  assert (model.first_stage_localization_loss_weight,
          model.first_stage_objectness_loss_weight,
          model.second_stage_localization_loss_weight,
          model.second_stage_classification_loss_weight) == (1.0, 0.5, 1.0,
                                                             0.5)
  ssd = _merge(_configs(SSD), classification_localization_weight_ratio=3)[
      "model"].ssd
  assert (ssd.loss.localization_weight, ssd.loss.classification_weight) == (
      1.0, 3.0)


def test_focal_loss_gamma_and_alpha():
  configs = _merge(_configs(), focal_loss_gamma="3.0", focal_loss_alpha=0.5)
  focal = configs["model"].faster_rcnn.second_stage_classification_loss \
      .weighted_sigmoid_focal
  assert (focal.gamma, focal.alpha) == (3.0, 0.5)
  assert _error(_configs(SSD), "focal_loss_gamma", 1.0) == (
      "override focal_loss_gamma: model.ssd.loss.classification_loss is "
      "weighted_sigmoid; it must be weighted_sigmoid_focal")


def test_train_steps_and_num_classes():
  configs = _merge(_configs(), train_steps="500", num_classes="7")
  assert configs["train_config"].num_steps == 500
  assert configs["model"].faster_rcnn.num_classes == 7
  assert _merge(_configs(SSD), num_classes=2)["model"].ssd.num_classes == 2


def test_label_map_path_and_mask_type_set_every_reader():
  configs = _merge(_configs(SSD), label_map_path="l.pbtxt",
                   mask_type="PNG_MASKS")
  readers = [configs["train_input_config"]] + list(
      configs["eval_input_configs"])
  assert [r.label_map_path for r in readers] == ["l.pbtxt"] * 3
  assert [r.mask_type for r in readers] == [input_reader_pb2.PNG_MASKS] * 3


def test_eval_reader_keys():
  configs = _merge(_configs(SSD), sample_1_of_n_eval_examples="10",
                   eval_num_epochs=1)
  assert [(r.sample_1_of_n_examples, r.num_epochs)
          for r in configs["eval_input_configs"]] == [(10, 1), (10, 1)]


def test_eval_config_and_train_config_flags():
  configs = _merge(_configs(), eval_with_moving_averages="true",
                   retain_original_images_in_eval=False, use_bfloat16="1")
  assert configs["eval_config"].use_moving_averages is True
  assert configs["eval_config"].retain_original_images is False
  assert configs["train_config"].use_bfloat16 is True


def test_input_paths_and_shuffle():
  configs = _merge(_configs(), train_input_path="[x.record, y.record]",
                   eval_input_path="z.record", train_shuffle="false",
                   eval_shuffle=False)
  assert list(configs["train_input_config"].tf_record_input_reader
              .input_path) == ["x.record", "y.record"]
  assert list(configs["eval_input_config"].tf_record_input_reader
              .input_path) == ["z.record"]
  assert configs["train_input_config"].shuffle is False
  assert configs["eval_input_config"].shuffle is False
  _merge(configs, append_train_input_path="w.record")
  assert list(configs["train_input_config"].tf_record_input_reader
              .input_path) == ["x.record", "y.record", "w.record"]


def test_eval_shuffle_with_two_eval_readers_is_ambiguous():
  assert _error(_configs(SSD), "eval_shuffle", False) == (
      "cannot override shuffle of eval_input_configs: 2 input readers and "
      "input_name None; name one with eval_input_configs:<input_name>:shuffle")


def test_key_name_input_name_field_name_keys():
  configs = _merge(_configs(SSD), **{
      "eval_input_configs:b:shuffle": "false",
      "eval_input_configs:a:input_path": "a.record",
  })
  a, b = configs["eval_input_configs"]
  assert (a.shuffle, b.shuffle) == (True, False)
  assert list(a.tf_record_input_reader.input_path) == ["a.record"]
  configs = _merge(_configs(), **{"train_input_config:train:label_map_path":
                                  "m.pbtxt"})
  assert configs["train_input_config"].label_map_path == "m.pbtxt"


def test_bad_input_keys_are_pinned():
  configs = _configs(SSD)
  assert _error(configs, "eval_input_configs:c:shuffle", False) == (
      "override key 'eval_input_configs:c:shuffle': unknown input_name 'c' "
      "(valid: a, b)")
  assert _error(configs, "eval_input_configs:a:shufle", False) == (
      "override key 'eval_input_configs:a:shufle': unknown field_name "
      "'shufle' (valid: input_path, label_map_path, shuffle, mask_type, "
      "sample_1_of_n_examples); did you mean 'shuffle'?")
  assert _error(configs, "eval_configs:a:shuffle", False).startswith(
      "override key 'eval_configs:a:shuffle': unknown key_name "
      "'eval_configs' (valid: train_input_config, eval_input_configs); did "
      "you mean 'eval_input_configs'?")
  assert _error(configs, "a:b", 1) == (
      "override key 'a:b': expected key_name:input_name:field_name")


def test_generic_dotted_path_creates_parents():
  configs = _merge(_configs(), **{
      "model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"
      ".scales": "[0.25,0.5,1.0]"})
  grid = configs["model"].faster_rcnn.first_stage_anchor_generator \
      .grid_anchor_generator
  assert list(grid.scales) == [0.25, 0.5, 1.0]


def test_generic_paths_with_indices_and_aliases():
  configs = _configs(SSD)
  _merge(configs, **{"eval_input_reader[1].shuffle": "false",
                     "eval_input_configs[0].num_epochs": 3,
                     "train_input_reader.mask_type": "PNG_MASKS",
                     "train_config.batch_size": "6",
                     "eval_config.batch_size": 2})
  a, b = configs["eval_input_configs"]
  assert (a.num_epochs, b.shuffle) == (3, False)
  assert configs["train_input_config"].mask_type == input_reader_pb2.PNG_MASKS
  assert configs["train_config"].batch_size == 6
  assert configs["eval_config"].batch_size == 2


def test_generic_eval_input_config_and_append():
  configs = _configs()
  _merge(configs, **{"eval_input_config.shuffle": False,
                     "eval_input_reader[1].name": "extra"})
  assert configs["eval_input_config"].shuffle is False
  assert [r.name for r in configs["eval_input_configs"]] == ["coco", "extra"]


def test_generic_graph_rewriter_is_created():
  configs = _merge(_configs(), **{"graph_rewriter.quantization.delay": "5"})
  assert configs["graph_rewriter_config"].quantization.delay == 5
  pipeline = config_util.create_pipeline_proto_from_configs(configs)
  assert pipeline.graph_rewriter.quantization.delay == 5


def test_generic_errors_name_the_full_path():
  assert _error(_configs(), "model.faster_rcnn.num_clases", 3) == (
      "model.faster_rcnn.num_clases: unknown field 'num_clases' in "
      "FasterRcnn; did you mean 'num_classes'?")
  assert _error(_configs(SSD), "eval_input_reader[0].shufle", 3) == (
      "eval_input_reader[0].shufle: unknown field 'shufle' in InputReader; "
      "did you mean 'shuffle'?")
  assert _error(_configs(SSD), "eval_input_reader.shuffle", False) == (
      "override eval_input_reader.shuffle: 2 eval input readers; pick one, "
      "e.g. eval_input_reader[0].shuffle")


def test_unknown_keys_are_errors_with_suggestions():
  message = _error(_configs(), "learning_rat", 0.1)
  # The suggestion comes first, the lists of valid keys after it.
  assert message.startswith("unknown override key 'learning_rat'; did you "
                            "mean 'learning_rate'? Valid keys: a named key "
                            "(append_eval_input_path, ")
  assert message.endswith("a dotted field path starting with model, "
                          "train_config, eval_config, train_input_config, "
                          "train_input_reader, eval_input_configs, "
                          "eval_input_reader, eval_input_config, "
                          "graph_rewriter_config, graph_rewriter")
  message = _error(_configs(), "modle.ssd.num_classes", 1)
  assert message.startswith("unknown override key 'modle.ssd.num_classes'; "
                            "did you mean 'model'? Valid keys:")


def test_none_and_empty_values_are_skipped():
  configs = _configs()
  before = config_util.create_pipeline_proto_from_configs(configs)
  _merge(configs, learning_rate=None, label_map_path="",
         **{"model.ssd.num_classes": None})
  assert config_util.create_pipeline_proto_from_configs(configs) == before
  assert _error(configs, "unknown_key", None).startswith(
      "unknown override key 'unknown_key'")
  assert _error(configs, "model.ssd.num_clases", "") == (
      "model.ssd.num_clases: unknown field 'num_clases' in Ssd; did you mean "
      "'num_classes'?")


def test_hparams_win_over_kwargs():

  class HParams:

    def values(self):
      return {"batch_size": 16}

  configs = config_util.merge_external_params_with_configs(
      _configs(), hparams=HParams(), kwargs_dict={"batch_size": 4})
  assert configs["train_config"].batch_size == 16
  kwargs = {"batch_size": 4}
  config_util.merge_external_params_with_configs(
      _configs(), hparams={"batch_size": 8}, kwargs_dict=kwargs)
  assert kwargs == {"batch_size": 4}


def test_update_input_reader_config_directly():
  configs = _configs(SSD)
  config_util.update_input_reader_config(
      configs, key_name="eval_input_configs", input_name="b",
      field_name="label_map_path", value="x.pbtxt")
  assert configs["eval_input_configs"][1].label_map_path == "x.pbtxt"
  with pytest.raises(ConfigError, match="no input reader is named 'z'"):
    config_util.update_input_reader_config(
        configs, key_name="eval_input_configs", input_name="z",
        field_name="shuffle", value=False)


def test_parse_override_assignments():
  assert config_util.parse_override_assignments(
      ["a=1", " b = x=y ", "a=2"]) == {"a": "2", "b": "x=y"}
  with pytest.raises(ConfigError, match="expected KEY=VALUE"):
    config_util.parse_override_assignments(["novalue"])


def test_string_values_from_a_command_line_on_a_loaded_file(tmp_path):
  path = tmp_path / "p.config"
  path.write_text(FASTER)
  configs = config_util.get_configs_from_pipeline_file(str(path))
  overrides = config_util.parse_override_assignments([
      "train_steps=100", "eval_input_configs:coco:sample_1_of_n_examples=4",
      "model.faster_rcnn.second_stage_classification_loss"
      ".weighted_sigmoid_focal.gamma=1.5"])
  config_util.merge_external_params_with_configs(configs,
                                                 kwargs_dict=overrides)
  assert configs["train_config"].num_steps == 100
  assert configs["eval_input_config"].sample_1_of_n_examples == 4
  assert configs["model"].faster_rcnn.second_stage_classification_loss \
      .weighted_sigmoid_focal.gamma == 1.5
