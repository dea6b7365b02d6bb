"""Tests for object_detection.config_tool (od-config)."""

import difflib
import os
import subprocess
import sys

import pytest
from google.protobuf import text_format

from object_detection import config_tool
from object_detection.utils import config_util
from tests.conftest import upstream_params

PIPELINE = """\
# A small Faster R-CNN pipeline.
model {
  faster_rcnn {
    num_classes: 3  # shapes
    image_resizer {
      keep_aspect_ratio_resizer {
        min_dimension: 64
        max_dimension: 128
      }
    }
    feature_extractor {
      type: 'faster_rcnn_resnet50_keras'
    }
    first_stage_anchor_generator {
      grid_anchor_generator {
        scales: [0.5, 1.0, 2.0]
        aspect_ratios: [0.5, 1.0, 2.0]
        height_stride: 16
        width_stride: 16
      }
    }
    first_stage_box_predictor_conv_hyperparams {
      op: CONV
      regularizer { l2_regularizer { weight: 0.0 } }
      initializer { truncated_normal_initializer { stddev: 0.01 } }
    }
    number_of_stages: 1
  }
}

train_config: {
  batch_size: 2
  # num_steps: 100
  optimizer {
    momentum_optimizer: {
      learning_rate: {
        constant_learning_rate {
          learning_rate: 0.01
        }
      }
      momentum_optimizer_value: 0.9
    }
  }
}

eval_input_reader: {
  shuffle: false
  tf_record_input_reader {
    input_path: "eval.record"
  }
}
"""


@pytest.fixture
def config(tmp_path) -> str:
  path = tmp_path / "pipeline.config"
  path.write_text(PIPELINE)
  return str(path)


def _run(capsys, *argv) -> tuple:
  status = config_tool.main(list(argv))
  out, err = capsys.readouterr()
  return status, out, err


def _parse(text: str):
  return config_util.parse_pipeline_text(text)


# ---------------------------------------------------------------------- set


def test_set_changes_only_the_edited_lines(config, capsys):
  status, out, err = _run(
      capsys, "set", config, "train_config.batch_size=8",
      "model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"
      ".scales=[1.0, 2.0]", "train_config.num_steps=500",
      "model.faster_rcnn.feature_extractor.type=resnet 'v1'", "--in-place")
  assert (status, out, err) == (0, "", "")
  with open(config) as f:
    edited = f.read()
  assert edited == PIPELINE.replace(
      "batch_size: 2", "batch_size: 8").replace(
          "scales: [0.5, 1.0, 2.0]", "scales: [1.0, 2.0]").replace(
              "      momentum_optimizer_value: 0.9\n    }\n  }\n",
              "      momentum_optimizer_value: 0.9\n    }\n  }\n"
              "  num_steps: 500\n").replace(
                  "'faster_rcnn_resnet50_keras'", "'resnet \\'v1\\''")


def test_set_switches_a_oneof_member_given_as_a_whole(config, capsys):
  path = "model.faster_rcnn.image_resizer.fixed_shape_resizer"
  status, out, _ = _run(capsys, "set", config, path + "={ height: 32 }", "-o",
                        "-")
  assert status == 0
  assert out == PIPELINE.replace(
      "      keep_aspect_ratio_resizer {\n"
      "        min_dimension: 64\n"
      "        max_dimension: 128\n"
      "      }\n",
      "      fixed_shape_resizer {\n"
      "        height: 32\n"
      "      }\n")


def test_set_below_an_unset_oneof_member_is_refused(config, capsys):
  # Going below fixed_shape_resizer would silently drop the configured
  # keep_aspect_ratio_resizer block.
  path = "model.faster_rcnn.image_resizer.fixed_shape_resizer.height"
  assert _run(capsys, "set", config, path + "=32", "-i") == (
      2, "", "od-config: error: model.faster_rcnn.image_resizer."
      "fixed_shape_resizer: model.faster_rcnn.image_resizer holds "
      "'keep_aspect_ratio_resizer' (oneof 'image_resizer_oneof'), not "
      "'fixed_shape_resizer'; to switch, set fixed_shape_resizer as a whole, "
      "e.g. model.faster_rcnn.image_resizer.fixed_shape_resizer='{ ... }'\n")
  with open(config) as f:
    assert f.read() == PIPELINE


def test_set_writes_a_new_file_and_leaves_the_original(config, tmp_path,
                                                       capsys):
  out_path = str(tmp_path / "out" / "edited.config")
  os.makedirs(os.path.dirname(out_path))
  status, _, _ = _run(capsys, "set", config, "eval_input_reader[0].shuffle=true",
                      "-o", out_path)
  assert status == 0
  with open(out_path) as f:
    assert f.read() == PIPELINE.replace("shuffle: false", "shuffle: true")
  with open(config) as f:
    assert f.read() == PIPELINE
  assert sorted(os.listdir(tmp_path / "out")) == ["edited.config"]


@pytest.mark.parametrize("argv,message", [
    (["train_config.batch_size=3"],
     "set: give --in-place or -o OUT (-o - prints the result)"),
    (["train_config.batch_size", "-i"],
     "bad assignment 'train_config.batch_size': expected PATH=VALUE"),
    (["train_config.batch_sise=3", "-i"],
     "train_config.batch_sise: unknown field 'batch_sise' in TrainConfig; "
     "did you mean 'batch_size'?"),
    (["train_config.batch_size=many", "-i"],
     "train_config.batch_size: expects an integer (uint32), got 'many'"),
    (["eval_input_reader[3].shuffle=true", "-i"],
     "eval_input_reader: index 3 is out of range (valid: 0..1)"),
    (["train_config.batch_size=3", "-i", "-o", "x"],
     "argument -o/--output: not allowed with argument -i/--in-place "
     "(see 'od-config set --help')"),
])
def test_set_errors_leave_the_file_alone(config, capsys, argv, message):
  status, out, err = _run(capsys, "set", config, *argv)
  assert (status, out) == (2, "")
  assert err == "od-config: error: %s\n" % message
  with open(config) as f:
    assert f.read() == PIPELINE


# ------------------------------------------------------------ get and show


@pytest.mark.parametrize("path,printed", [
    ("train_config.batch_size", "2\n"),
    ("model.faster_rcnn.feature_extractor.type", "faster_rcnn_resnet50_keras\n"),
    ("eval_input_reader[0].shuffle", "false\n"),
    ("model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"
     ".scales", "[0.5, 1.0, 2.0]\n"),
    ("model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"
     ".scales[1]", "1.0\n"),
    ("train_config.optimizer.momentum_optimizer.learning_rate"
     ".constant_learning_rate.learning_rate", "0.01\n"),
    ("model.faster_rcnn.image_resizer",
     "keep_aspect_ratio_resizer {\n  min_dimension: 64\n"
     "  max_dimension: 128\n}\n"),
    ("eval_input_reader",
     "# eval_input_reader[0]\nshuffle: false\ntf_record_input_reader {\n"
     "  input_path: \"eval.record\"\n}\n"),
])
def test_get(config, capsys, path, printed):
  assert _run(capsys, "get", config, path) == (0, printed, "")


def test_get_unknown_field(config, capsys):
  assert _run(capsys, "get", config, "train_config.batchsize") == (
      2, "", "od-config: error: train_config.batchsize: unknown field "
      "'batchsize' in TrainConfig; did you mean 'batch_size'?\n")


def test_show_applies_overrides(config, capsys):
  status, out, err = _run(capsys, "show", config, "--override",
                          "batch_size=16", "--override",
                          "model.faster_rcnn.num_classes=5")
  assert (status, err) == (0, "")
  expected = _parse(PIPELINE)
  expected.train_config.batch_size = 16
  expected.model.faster_rcnn.num_classes = 5
  assert out == text_format.MessageToString(expected, as_utf8=True)


# ---------------------------------------------------------------- validate

_MISSING_INPUT = ("warning: eval_input_reader[0].tf_record_input_reader"
                  ".input_path[0]: input 'eval.record' does not exist")


def test_validate_warnings_alone_pass_unless_strict(config, capsys):
  expected = "%s: %s\n%s: 0 error(s), 1 warning(s)\n" % (
      config, _MISSING_INPUT, config)
  assert _run(capsys, "validate", config) == (0, expected, "")
  assert _run(capsys, "validate", config, "--strict") == (1, expected, "")


def test_validate_errors_exit_1(tmp_path, capsys):
  path = tmp_path / "bad.config"
  path.write_text(PIPELINE.replace("batch_size: 2", "batch_size: 0"))
  assert _run(capsys, "validate", str(path)) == (
      1, "%s: error: train_config.batch_size: must be >= 1, got 0\n"
      "%s: %s\n%s: 1 error(s), 1 warning(s)\n" % (
          path, path, _MISSING_INPUT, path), "")


def test_validate_unusable_input_exit_2(tmp_path, capsys):
  path = tmp_path / "bad.config"
  path.write_text("train_config { batch_size: }\n")
  status, out, err = _run(capsys, "validate", str(path))
  assert (status, out) == (2, "")
  assert err.startswith("od-config: error: %s:1:28: field 'batch_size' "
                        "expects an integer, got }\n" % path)


# ------------------------------------------------------- format and diff


def test_format_round_trip(config, tmp_path, capsys):
  status, out, _ = _run(capsys, "format", config)
  assert status == 0
  assert _parse(out) == _parse(PIPELINE)
  assert "#" not in out
  formatted = tmp_path / "formatted.config"
  formatted.write_text(out)
  assert _run(capsys, "format", str(formatted), "-i") == (0, "", "")
  assert formatted.read_text() == out


def test_diff(config, tmp_path, capsys):
  other = tmp_path / "other.config"
  other.write_text(PIPELINE.replace("batch_size: 2", "batch_size: 4").replace(
      "  shuffle: false\n", ""))
  assert _run(capsys, "diff", config, config) == (0, "", "")
  assert _run(capsys, "diff", config, str(other)) == (
      1, "~ train_config.batch_size: 2 -> 4\n"
      "- eval_input_reader[0].shuffle: false\n", "")


# ------------------------------------------------------------ errors


def test_unusable_input_is_one_line_exit_2(tmp_path, capsys):
  missing = str(tmp_path / "missing.config")
  assert _run(capsys, "show", missing) == (
      2, "", "od-config: error: %s: no such file\n" % missing)
  bad = tmp_path / "bad.config"
  bad.write_text("model {\n  faster_rcnn {\n    num_clases: 3\n  }\n}\n")
  status, out, err = _run(capsys, "get", str(bad), "model")
  assert (status, out) == (2, "")
  assert err.startswith("od-config: error: %s:3:5: unknown field "
                        "'num_clases'" % bad)
  assert "Traceback" not in err


def test_usage_errors(capsys):
  assert _run(capsys) == (
      2, "", "od-config: error: the following arguments are required: "
      "COMMAND (see 'od-config --help')\n")
  status, out, err = _run(capsys, "--help")
  assert (status, err) == (0, "")
  assert out.startswith("usage: od-config")


def test_module_entry_point_prints_no_traceback(tmp_path):
  missing = str(tmp_path / "missing.config")
  result = subprocess.run(
      [sys.executable, "-m", "object_detection.config_tool", "get", missing,
       "model"], capture_output=True, text=True, timeout=120, check=False)
  assert result.returncode == 2
  assert result.stdout == ""
  assert result.stderr == "od-config: error: %s: no such file\n" % missing


# ------------------------------------------------- every upstream config


def _deepest(candidates):
  return max(candidates, key=lambda c: c[0].count("."), default=None)


def _present_float(message, prefix: str):
  """(path, new value) of the deepest set float field, doubled plus one."""
  candidates = []
  for field, value in message.ListFields():
    path = prefix + field.name
    if field.message_type is not None and not field.is_repeated:
      candidates.append(_present_float(value, path + "."))
    elif not field.is_repeated and field.type == field.TYPE_FLOAT:
      candidates.append((path, repr(value * 2 + 1)))
  return _deepest([c for c in candidates if c])


def _absent_int(message, prefix: str):
  """(path, '7') of the deepest unset int32 field outside oneofs."""
  candidates = [
      (prefix + f.name, "7") for f in message.DESCRIPTOR.fields
      if f.type == f.TYPE_INT32 and not f.is_repeated and
      f.containing_oneof is None and not message.HasField(f.name)]
  for field, value in message.ListFields():
    if field.message_type is not None and not field.is_repeated:
      candidates.append(_absent_int(value, prefix + field.name + "."))
  return _deepest([c for c in candidates if c])


def _changed_lines(before: str, after: str) -> tuple:
  """(lines of `before` not kept, lines of `after` that are new)."""
  old, new = before.splitlines(), after.splitlines()
  removed, added = [], []
  for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(
      None, old, new, autojunk=False).get_opcodes():
    if tag != "equal":
      removed.extend(old[i1:i2])
      added.extend(new[j1:j2])
  return removed, added


def _names(lines) -> list:
  return sorted(line.split(":")[0].strip() for line in lines)


@pytest.mark.parametrize("upstream", upstream_params("*/*.config"))
def test_set_on_every_upstream_config(upstream, tmp_path, capsys):
  with open(upstream) as f:
    original = f.read()
  pipeline = _parse(original)
  changed = [("train_config.batch_size", "3"),
             _present_float(pipeline.model, "model.")]
  inserted = [_absent_int(pipeline.model, "model.")]
  out = str(tmp_path / "out.config")
  argv = ["%s=%s" % pair for pair in changed + inserted]
  assert _run(capsys, "set", upstream, *argv, "-o", out) == (0, "", "")
  with open(out) as f:
    edited = f.read()

  expected = _parse(original)
  for path, value in changed + inserted:
    config_util.set_field_by_path(expected, path, value)
  assert _parse(edited) == expected
  comments = [l for l in original.splitlines() if l.strip().startswith("#")]
  assert [l for l in edited.splitlines() if l.strip().startswith("#")] == (
      comments)
  # Every other line is untouched; each value changed on its own line.
  removed, added = _changed_lines(original, edited)
  changed_names = [p.rsplit(".", 1)[1] for p, _ in changed]
  assert _names(removed) == sorted(changed_names)
  assert _names(added) == sorted(
      changed_names + [p.rsplit(".", 1)[1] for p, _ in inserted])
  assert "%s: 7" % inserted[0][0].rsplit(".", 1)[1] in edited


@pytest.mark.parametrize("upstream", upstream_params("*/*.config"))
def test_format_and_diff_on_every_upstream_config(upstream, tmp_path, capsys):
  status, formatted, _ = _run(capsys, "format", upstream)
  assert status == 0
  with open(upstream) as f:
    assert _parse(formatted) == _parse(f.read())
  copy = tmp_path / "formatted.config"
  copy.write_text(formatted)
  assert _run(capsys, "diff", upstream, str(copy)) == (0, "", "")
  assert _run(capsys, "format", str(copy)) == (0, formatted, "")


def test_a_wrong_text_edit_is_never_written(config, capsys, monkeypatch):
  monkeypatch.setattr(config_tool.config_text_edit, "set_field_text",
                      lambda text, message, path: text.replace(
                          "batch_size: 2", "batch_size: 5"))
  assert _run(capsys, "set", config, "train_config.batch_size=4", "-i") == (
      2, "", "od-config: error: internal error: the text edit of "
      "train_config.batch_size does not give the expected config; nothing "
      "written (please report this)\n")
  with open(config) as f:
    assert f.read() == PIPELINE


def test_windows_line_endings_survive_set(tmp_path, capsys):
  path = tmp_path / "crlf.config"
  path.write_bytes(PIPELINE.replace("\n", "\r\n").encode())
  assert _run(capsys, "set", str(path), "train_config.batch_size=4",
              "train_config.num_steps=9", "-i") == (0, "", "")
  assert path.read_bytes() == PIPELINE.replace(
      "batch_size: 2", "batch_size: 4").replace(
          "      momentum_optimizer_value: 0.9\n    }\n  }\n",
          "      momentum_optimizer_value: 0.9\n    }\n  }\n"
          "  num_steps: 9\n").replace("\n", "\r\n").encode()


def test_interrupt_is_one_line(config, capsys, monkeypatch):
  def interrupted(args):
    raise KeyboardInterrupt()
  monkeypatch.setattr(config_tool, "_diff", interrupted)
  assert _run(capsys, "diff", config, config) == (
      130, "", "od-config: error: interrupted\n")
