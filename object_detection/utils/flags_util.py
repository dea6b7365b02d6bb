"""Command-line flag parsing for the absl-based scripts and tools.

absl's default reports a bad flag with a "FATAL Flags parsing error" banner
and exit status 1. The project's tools answer bad input with one line and
exit status 2, so they pass `flags_parser_for(prog)` to `app.run`.
"""

import logging as std_logging
import sys
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
