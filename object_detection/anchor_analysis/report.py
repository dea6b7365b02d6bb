"""An Analysis as text, as JSON, and as one picture."""

import io
import json
import shlex
from typing import Dict, Optional

import matplotlib
matplotlib.use("Agg")
from matplotlib import pyplot as plt  # pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np  # pylint: disable=g-import-not-at-top,wrong-import-position

from object_detection.anchor_analysis import coverage as coverage_lib  # pylint: disable=g-import-not-at-top,wrong-import-position
from object_detection.utils import file_io  # pylint: disable=g-import-not-at-top,wrong-import-position


def _share_line(name: str, share, threshold: float) -> str:
  if not share.count:
    return "  %-16s %6d boxes" % (name, 0)
  return "  %-16s %6d boxes  IoU>=%.2f %5.1f%%  IoU>=0.5 %5.1f%%  mean %.3f" % (
      name, share.count, threshold, 100 * share.at_threshold,
      100 * share.at_half, share.mean_best_iou)


def command(result, config_path: str) -> Optional[str]:
  """The od-config command that applies the suggestion."""
  if not result.set_arguments:
    return None
  return "od-config set %s %s --in-place" % (
      shlex.quote(config_path),
      " ".join(shlex.quote(a) for a in result.set_arguments))


def text(result, config_path: str,
         class_names: Optional[Dict[int, str]] = None) -> str:
  """The report as lines of text."""
  class_names = class_names or {}
  truth, coverage = result.truth, result.coverage
  lines = ["%d ground-truth boxes in %d images; input %dx%d (height x "
           "width)" % (len(truth.boxes), len(truth.source_ids),
                       result.input_shape[0], result.input_shape[1]),
           "anchors per image: %d (per level: %s); %d inside the image, "
           "which training matches (per level: %s)" % (
               result.anchors_per_image,
               ", ".join(str(c) for c in result.anchors.per_level_total),
               result.anchors.valid,
               ", ".join(str(c) for c in result.anchors.per_level)),
           "best anchor IoU of each box (first-stage matcher threshold "
           "%.2f):" % result.threshold,
           _share_line("all", coverage.overall, result.threshold)]
  lines.append("by size (input pixels; small < 32^2, large >= 96^2):")
  lines += [_share_line(k, v, result.threshold)
            for k, v in coverage.by_size.items()]
  lines.append("by aspect ratio (height / width):")
  lines += [_share_line(k, v, result.threshold)
            for k, v in coverage.by_aspect.items()]
  lines.append("by class:")
  lines += [_share_line("%d %s" % (k, class_names.get(k, "")), v,
                        result.threshold)
            for k, v in coverage.by_class.items()]
  if result.worst:
    lines.append("boxes no anchor matches (IoU < %.2f), worst first:" %
                 result.threshold)
    lines += ["  %-20s class %-3d box %s  best IoU %.3f" % (
        w["source_id"], w["class"], w["box"], w["best_iou"])
              for w in result.worst]
  if result.suggestion is None:
    lines.append("suggestion: none found that covers more boxes within "
                 "the anchor budget")
  else:
    after = result.suggested_coverage.overall
    lines.append("suggestion: %s" % ", ".join(
        "%s=%s" % item for item in result.suggestion.change.items()))
    lines.append("  coverage at IoU>=%.2f: %.1f%% -> %.1f%%  (IoU>=0.5: "
                 "%.1f%% -> %.1f%%); anchors per image: %d -> %d" % (
                     result.threshold, 100 * coverage.overall.at_threshold,
                     100 * after.at_threshold, 100 * coverage.overall.at_half,
                     100 * after.at_half, result.anchors_per_image,
                     result.suggested_anchors.total))
    lines.append("  apply it: %s" % command(result, config_path))
  return "\n".join(lines)


def as_json(result, config_path: str) -> str:
  record = {
      "boxes": len(result.truth.boxes),
      "images": len(result.truth.source_ids),
      "input_shape": list(result.input_shape),
      "anchors_per_image": result.anchors_per_image,
      "anchors_per_level": list(result.anchors.per_level_total),
      "valid_anchors_per_level": list(result.anchors.per_level),
      "coverage": result.coverage.as_dict(),
      "worst": result.worst,
      "suggestion": None,
  }
  if result.suggestion is not None:
    record["suggestion"] = {
        "change": result.suggestion.change,
        "set_arguments": result.set_arguments,
        "command": command(result, config_path),
        "anchors_per_image": result.suggested_anchors.total,
        "coverage": result.suggested_coverage.as_dict(),
    }
  return json.dumps(record, indent=2, default=float) + "\n"


def _level_shapes(axes, anchor_set, marker: str, label: str) -> None:
  colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
  for level, shapes in enumerate(anchor_set.level_shapes):
    colour = colours[level % len(colours)]
    style = (dict(facecolors="none", edgecolors=colour) if marker == "o"
             else dict(color=colour))
    axes.scatter(shapes[:, 1], shapes[:, 0], s=60, marker=marker,
                 label="%s level %d" % (label, level), zorder=3, **style)


def plot(result, path: str) -> None:
  """Writes the three-panel PNG of the analysis to `path`."""
  boxes = result.truth.boxes
  heights, widths = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
  figure, axes = plt.subplots(1, 3, figsize=(16, 5))
  shapes_axes, histogram_axes, size_axes = axes
  shapes_axes.scatter(np.maximum(widths, 0.5), np.maximum(heights, 0.5),
                      s=4, c="0.6", label="ground truth")
  _level_shapes(shapes_axes, result.anchors, "o", "anchors")
  if result.suggested_anchors is not None:
    _level_shapes(shapes_axes, result.suggested_anchors, "x", "suggested")
  shapes_axes.set_xscale("log")
  shapes_axes.set_yscale("log")
  shapes_axes.set_xlabel("width (input px)")
  shapes_axes.set_ylabel("height (input px)")
  shapes_axes.set_title("box and anchor shapes")
  shapes_axes.legend(fontsize=7, loc="upper left")
  bins = np.linspace(0, 1, 41)
  histogram_axes.hist(result.best, bins=bins, alpha=0.7, label="config")
  if result.suggested_best is not None:
    histogram_axes.hist(result.suggested_best, bins=bins, alpha=0.5,
                        label="suggested")
  histogram_axes.axvline(result.threshold, color="k", linestyle="--",
                         linewidth=1)
  histogram_axes.set_xlabel("best anchor IoU of a box")
  histogram_axes.set_title("best IoU (threshold %.2f dashed)" %
                           result.threshold)
  histogram_axes.legend()
  centres, shares = coverage_lib.coverage_by_size(result.best, boxes,
                                                  result.threshold)
  size_axes.plot(centres, shares, marker="o", label="config")
  if result.suggested_best is not None:
    _, after = coverage_lib.coverage_by_size(result.suggested_best, boxes,
                                             result.threshold)
    size_axes.plot(centres, after, marker="x", label="suggested")
  size_axes.set_xscale("log")
  size_axes.set_ylim(0, 1.02)
  size_axes.set_xlabel("box size sqrt(area) (input px)")
  size_axes.set_title("share with best IoU >= %.2f" % result.threshold)
  size_axes.grid(alpha=0.3)
  size_axes.legend()
  figure.tight_layout()
  buffer = io.BytesIO()
  figure.savefig(buffer, format="png", dpi=90)
  plt.close(figure)
  file_io.write_bytes_atomically(path, buffer.getvalue())


def class_names_of(configs) -> Dict[int, str]:
  """Class names from the train input's label map, if it has one."""
  from object_detection.utils import label_map_util  # pylint: disable=g-import-not-at-top
  path = configs["train_input_config"].label_map_path
  if not path or not file_io.exists(path):
    return {}
  return {k: v["name"] for k, v in
          label_map_util.create_category_index_from_labelmap(
              path, use_display_name=True).items()}


