"""The TF OD API's name for the training script: the same program as
`object_detection.model_main` (see its docstring for the flags).

    python -m object_detection.model_main_tf2 --pipeline_config_path=... \\
        --model_dir=...
"""

from object_detection.model_main import main  # pylint: disable=unused-import
from object_detection.model_main import run

if __name__ == "__main__":
  run()
