"""Command-line flag parsing for the absl-based scripts and tools.

absl's default reports a bad flag with a "FATAL Flags parsing error" banner
and exit status 1. The project's tools answer bad input with one line and
exit status 2, so they pass `flags_parser_for(prog)` to `app.run`.
"""

import logging as std_logging
import os
import re
import sys
import tempfile
from typing import Callable, List, Tuple

from absl import app
from absl import flags
from absl import logging


def flags_parser_for(prog: str) -> Callable[[List[str]], List[str]]:
  """A `flags_parser` for absl's app.run that exits 2 with one line.

  Args:
    prog: program name for the message, e.g. 'plot_anchors'.

  Returns:
    A function of argv returning the remaining arguments.
  """
  def parse(argv: List[str]) -> List[str]:
    try:
      return flags.FLAGS(argv)
    except flags.Error as error:
      sys.stderr.write("%s: error: %s\n" % (prog, error))
      sys.exit(2)
  return parse


def run_guarded(prog: str, main: Callable[[List[str]], int],
                failure_names: Tuple[str, ...] = ()) -> None:
  """app.run(main) for a command-line tool: bad input is one line, exit 2.

  TensorFlow's INFO log lines are left out unless --verbosity is given.

  Args:
    prog: program name for the messages.
    main: absl main, returning the exit status.
    failure_names: exception class names (not ValueErrors) that are
      reported as one line with exit status 1 instead of a traceback.
  """
  def guarded(argv: List[str]) -> None:
    if not flags.FLAGS["verbosity"].present:
      # TensorFlow's own INFO lines (saver timings, strategy set-up; some
      # logged through absl) are noise beside the tool's; -v / --verbosity
      # brings them back.
      for name in ("tensorflow", "absl"):
        std_logging.getLogger(name).setLevel(std_logging.WARNING)
    try:
      status = main(argv)
    except ValueError as error:  # ConfigError, InputDataError, usage, ...
      logging.debug("details", exc_info=True)
      sys.stderr.write("%s: error: %s\n" % (
          prog, str(error).strip() or type(error).__name__))
      sys.exit(2)
    except Exception as error:  # pylint: disable=broad-except
      if type(error).__name__ not in failure_names:
        raise
      sys.stderr.write("%s: %s\n" % (prog, error))
      sys.exit(1)
    sys.exit(status)

  app.run(guarded, flags_parser=flags_parser_for(prog))


# What TensorFlow's C++ side prints on start-up whatever TF_CPP_MIN_LOG_LEVEL
# says (tensorflow/tensorflow#100442): INFO and WARNING lines, absl's banner,
# the CPU-feature note, and cuInit's failure on a machine without a GPU.
# (Lines logged before absl::InitializeLog carry the date 0000 00:00.)
_STARTUP_NOISE = re.compile(
    r"^([IW]0000 00:00:\d|WARNING: All log messages before absl::"
    r"|To enable the following instructions:"
    r"|E0000 00:00:\d.*failed call to cuInit)")


def is_startup_noise(line: str) -> bool:
  """Whether a stderr line is TensorFlow's C++ start-up noise."""
  return bool(_STARTUP_NOISE.match(line))


def import_tensorflow_quietly():
  """Imports TensorFlow and finds its devices with the start-up noise cut.

  TensorFlow's C++ start-up lines go to file descriptor 2 before any log
  level applies; they are caught while it loads and enumerates devices, and
  every line that is not such noise (errors included) is written back to
  stderr. Tools call this right before they need TensorFlow, so that flag
  errors still answer at once. With --verbosity given, nothing is cut.

  Returns:
    The tensorflow module.
  """
  if "tensorflow" in sys.modules or flags.FLAGS["verbosity"].present:
    import tensorflow as tf  # pylint: disable=g-import-not-at-top
    return tf
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile(mode="w+b") as caught:
    os.dup2(caught.fileno(), 2)
    try:
      import tensorflow as tf  # pylint: disable=g-import-not-at-top
      tf.config.list_physical_devices()
    finally:
      os.dup2(saved, 2)
      os.close(saved)
      caught.seek(0)
      for line in caught.read().decode("utf-8", "replace").splitlines():
        if not is_startup_noise(line):
          sys.stderr.write(line + "\n")
  return tf
