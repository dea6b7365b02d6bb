"""The exporter under its shorter name: the same program as
`object_detection.exporter_main_v2` (see its docstring for the flags).

    python -m object_detection.exporter_main --pipeline_config_path=... \\
        --trained_checkpoint_dir=... --output_directory=...
"""

from object_detection.exporter_main_v2 import main  # pylint: disable=unused-import
from object_detection.exporter_main_v2 import run

if __name__ == "__main__":
  run()
