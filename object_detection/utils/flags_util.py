"""Command-line flag parsing for the absl-based scripts and tools.

absl's default reports a bad flag with a "FATAL Flags parsing error" banner
and exit status 1. The project's tools answer bad input with one line and
exit status 2, so they pass `flags_parser_for(prog)` to `app.run`.
"""

import sys
from typing import Callable, List

from absl import flags


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
