"""Times config_util.get_configs_from_pipeline_file on a large config.

By default it loads the largest pipeline config of ../shared/upstream-configs
(the TF OD API samples beside the checkout) and prints the median wall time
in milliseconds over many loads, next to protobuf's own text_format.Merge on
the same text for comparison. Target: under 5 ms.

  python scripts/bench_config_load.py [--config PATH] [--repeats N]
"""

import argparse
import glob
import os
import statistics
import sys
import time

from google.protobuf import text_format

from object_detection.protos import pipeline_pb2
from object_detection.utils import config_util

_UPSTREAM = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "shared", "upstream-configs")


def _largest_upstream_config() -> str:
  paths = glob.glob(os.path.join(_UPSTREAM, "*", "*.config"))
  if not paths:
    sys.exit("no configs under %s; pass --config" % _UPSTREAM)
  return max(paths, key=os.path.getsize)


def _median_ms(function, repeats: int) -> float:
  function()  # warm caches (descriptors, file system)
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    function()
    times.append(time.perf_counter() - start)
  return 1000.0 * statistics.median(times)


def main() -> None:
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument("--config", help="pipeline.config to load (default: "
                      "the largest upstream sample)")
  parser.add_argument("--repeats", type=int, default=200)
  args = parser.parse_args()
  path = args.config or _largest_upstream_config()
  with open(path) as f:
    text = f.read()

  ours = _median_ms(lambda: config_util.get_configs_from_pipeline_file(path),
                    args.repeats)
  reference = _median_ms(
      lambda: text_format.Merge(text, pipeline_pb2.TrainEvalPipelineConfig()),
      args.repeats)
  print("config: %s (%d bytes, %d lines)" % (path, len(text.encode()),
                                             text.count("\n")))
  print("get_configs_from_pipeline_file: median %.2f ms over %d loads" % (
      ours, args.repeats))
  print("protobuf text_format.Merge alone: median %.2f ms" % reference)


if __name__ == "__main__":
  main()
