"""Tests for scripts/plot_anchors.py."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from tests.conftest import upstream_params

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO_ROOT, "scripts", "plot_anchors.py")

GRID_CONFIG = """
model {
  faster_rcnn {
    image_resizer { fixed_shape_resizer { height: 64 width: 96 } }
    first_stage_anchor_generator {
      grid_anchor_generator {
        scales: [0.5, 1.0] aspect_ratios: [1.0, 2.0]
        height: 32 width: 32 height_stride: 16 width_stride: 16
      }
    }
  }
}
"""


@pytest.fixture(scope="module")
def plot():
  """The script imported as a module (once: it defines absl flags)."""
  name = "plot_anchors_under_test"
  if name not in sys.modules:
    spec = importlib.util.spec_from_file_location(name, SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
  return sys.modules[name]


def _write(tmp_path, text, name="pipeline.config"):
  path = tmp_path / name
  path.write_text(text)
  return str(path)


def _run(*args):
  env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
  return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True,
                        text=True, env=env, cwd=REPO_ROOT, timeout=300)


def test_command_line_writes_png(tmp_path):
  config = _write(tmp_path, GRID_CONFIG)
  output = tmp_path / "sub" / "anchors.png"
  result = _run("--pipeline_config_path=" + config, "--output=" + str(output))
  assert result.returncode == 0, result.stderr
  # 64 x 96 input, longer side < 512: scaled by ceil(512 / 96) = 6.
  with Image.open(output) as image:
    assert image.format == "PNG"
    assert image.size == (96 * 6, 64 * 6)
  assert "wrote {} (576x384)".format(output) in result.stdout
  assert [p.name for p in output.parent.iterdir()] == ["anchors.png"]


def test_command_line_bad_path_exits_2_with_one_message(tmp_path):
  output = tmp_path / "anchors.png"
  result = _run("--pipeline_config_path=" + str(tmp_path / "missing.config"),
                "--output=" + str(output))
  assert result.returncode == 2
  assert "Traceback" not in result.stderr
  errors = [line for line in result.stderr.splitlines()
            if line.startswith("plot_anchors:")]
  assert errors == ["plot_anchors: error: {}: no such file".format(
      tmp_path / "missing.config")]
  assert not output.exists()


def test_missing_flags_exit_2(plot, capsys):
  was_parsed = plot.flags.FLAGS.is_parsed()
  if not was_parsed:
    plot.flags.FLAGS(["plot_anchors.py"], known_only=True)
  try:
    assert plot.main(["plot_anchors.py"]) == 2
    assert plot.main(["plot_anchors.py", "extra"]) == 2
  finally:
    if not was_parsed:
      plot.flags.FLAGS.unparse_flags()
  assert capsys.readouterr().err == (
      "plot_anchors: error: --pipeline_config_path and --output are "
      "required\nplot_anchors: error: unexpected arguments ['extra']\n")


def test_centre_cell_of_grid(plot, tmp_path):
  pipeline = plot.read_pipeline(_write(tmp_path, GRID_CONFIG))
  path, config, resizer = plot.anchor_config_of(pipeline)
  assert path == "model.faster_rcnn.first_stage_anchor_generator"
  assert plot.input_size(resizer, None) == (64, 96)
  [(label, boxes, count)] = plot.centre_anchors(config, path, 64, 96)
  # 4 x 6 cells, 4 anchors each; centre cell (2, 3) at (32, 48).
  assert label == "stride 16x16 (4x6): 4 per cell, 96 anchors"
  assert count == 96
  half = 0.5 * 0.5 * 32  # a=1, s=0.5
  np.testing.assert_allclose(boxes[0], [32 - half, 48 - half, 32 + half,
                                        48 + half])
  assert boxes.shape == (4, 4)


def test_ssd_and_multiscale_feature_maps_and_pixels(plot, tmp_path):
  ssd = plot.read_pipeline(_write(tmp_path, """
    model { ssd {
      image_resizer { fixed_shape_resizer { height: 300 width: 300 } }
      anchor_generator { ssd_anchor_generator {
        num_layers: 6 aspect_ratios: [1.0, 2.0, 0.5] } }
    } }"""))
  path, config, resizer = plot.anchor_config_of(ssd)
  shapes, labels = plot.feature_maps(config, 300, 300)
  assert shapes == [(19, 19), (10, 10), (5, 5), (3, 3), (2, 2), (1, 1)]
  assert labels[0] == "layer 0"
  maps = plot.centre_anchors(config, path, 300, 300)
  # Layer 5 (1x1): (0.95, 1.0) centred at 150 px.
  np.testing.assert_allclose(maps[5][1][0],
                             [150 - 142.5, 150 - 142.5, 150 + 142.5,
                              150 + 142.5], rtol=1e-5)
  multiscale = plot.read_pipeline(_write(tmp_path, """
    model { faster_rcnn {
      image_resizer { keep_aspect_ratio_resizer { min_dimension: 100
                                                  max_dimension: 200 } }
      first_stage_anchor_generator { multiscale_anchor_generator {
        min_level: 3 max_level: 4 aspect_ratios: [1.0] scales_per_octave: 1 }
      } } }""", "ms.config"))
  path, config, resizer = plot.anchor_config_of(multiscale)
  assert plot.input_size(resizer, None) == (200, 200)
  # 100 x 400 image: 100/100 = 1 would make 400 > 200, so 200/400 = 0.5.
  assert plot.input_size(resizer, (100, 400)) == (50, 200)
  assert plot.feature_maps(config, 200, 200)[0] == [(25, 25), (13, 13)]


@pytest.mark.parametrize("text, message", [
    ("model { faster_rcnn { bogus: 1 } }",
     "{path}:1:23: unknown field 'bogus' in FasterRcnn\n"
     "    model {{ faster_rcnn {{ bogus: 1 }} }}\n"
     "                          ^\n"
     "  in model.faster_rcnn"),
    ("model { faster_rcnn { image_resizer { fixed_shape_resizer {} } } }",
     "model.faster_rcnn.first_stage_anchor_generator: no anchor generator "
     "set"),
    ("model { faster_rcnn { image_resizer { identity_resizer {} } "
     "first_stage_anchor_generator { grid_anchor_generator { scales: 1 "
     "aspect_ratios: 1 } } } }",
     "image_resizer: plot_anchors needs fixed_shape_resizer or "
     "keep_aspect_ratio_resizer to know the input size, got "
     "identity_resizer"),
    ("model { faster_rcnn { image_resizer { fixed_shape_resizer {} } "
     "first_stage_anchor_generator { grid_anchor_generator { scales: 1 } } "
     "} }",
     "model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator"
     ".aspect_ratios: must not be empty"),
    ("", "model: expected a faster_rcnn or ssd model with an anchor "
     "generator, got no model"),
])
def test_bad_configs_raise_one_message(plot, tmp_path, text, message):
  config = _write(tmp_path, text)
  output = tmp_path / "anchors.png"
  output.write_bytes(b"old")
  with pytest.raises(plot.PlotError) as error:
    plot.plot_anchors(config, str(output))
  assert str(error.value) == message.format(path=config)
  assert output.read_bytes() == b"old"


def test_given_image_is_drawn_under_anchors(plot, tmp_path):
  image_path = tmp_path / "photo.png"
  Image.new("RGB", (20, 10), (255, 0, 0)).save(image_path)
  output = tmp_path / "anchors.png"
  size = plot.plot_anchors(_write(tmp_path, GRID_CONFIG), str(output),
                           str(image_path))
  assert size == (384, 576)
  with Image.open(output) as image:
    assert image.size == (576, 384)
    # A pixel near the bottom-right corner is the (red) image.
    assert image.convert("RGB").getpixel((570, 380)) == (255, 0, 0)
  with pytest.raises(plot.PlotError, match="cannot read image"):
    plot.plot_anchors(_write(tmp_path, GRID_CONFIG), str(output),
                      str(tmp_path / "missing.png"))


@pytest.mark.parametrize("config_path", upstream_params("*/*.config"))
def test_upstream_configs_give_centre_anchors(plot, config_path):
  pipeline = plot.read_pipeline(config_path)
  if pipeline.model.WhichOneof("model") not in ("faster_rcnn", "ssd"):
    pytest.skip("no anchor generator in this model")
  path, config, resizer = plot.anchor_config_of(pipeline)
  height, width = plot.input_size(resizer, None)
  maps = plot.centre_anchors(config, path, height, width)
  for _, boxes, count in maps:
    assert count > 0 and boxes.shape[1] == 4
    assert np.all(boxes[:, 2:] > boxes[:, :2])  # positive sizes


def test_unknown_flag_exits_2_with_one_message():
  result = _run("--bogus=1")
  assert result.returncode == 2
  assert "Traceback" not in result.stderr
  assert [line for line in result.stderr.splitlines()
          if line.startswith("plot_anchors:")] == [
              "plot_anchors: error: Unknown command line flag 'bogus'"]
