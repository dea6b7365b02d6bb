"""od-config: inspect, edit, check and compare pipeline.config files.

    od-config show CONFIG [--override K=V ...]   effective config (text format)
    od-config get CONFIG PATH                    one value or sub-message
    od-config set CONFIG PATH=VALUE ... (--in-place | -o OUT)
    od-config validate CONFIG [--strict]         semantic checks
    od-config diff A B                           field-level differences
    od-config format CONFIG [--in-place | -o OUT]  canonical text format
                                                 (stdout by default)

Also `python -m object_detection.config_tool ...`.

PATH is a dotted field path from the top of the pipeline, with indices into
repeated fields: `train_config.batch_size`, `eval_input_reader[0].shuffle`,
`model.faster_rcnn.first_stage_anchor_generator.grid_anchor_generator.scales`.
VALUE is read by `config_util.set_field_by_path`: numbers, `true`/`false`,
enum names, strings (quotes optional), lists `[a, b, c]` for repeated fields.

`set` changes only what it must: every byte outside the edited fields
(comments, blank lines, order, formatting) stays as it was, absent fields are
added at the end of their parent block with matching indentation. Before
writing, the edited text is parsed again and must equal what
`set_field_by_path` gives on the parsed original; otherwise nothing is
written. `-o -` prints the result instead of writing a file. Files are
written atomically (temporary file, then rename).

Exit status: 0 success; 1 `validate` found errors (warnings alone give 0,
unless --strict) or `diff` found differences (as diff(1)); 2 unusable input
or usage: one message on stderr, no traceback; 130 interrupted.
"""

import argparse
import contextlib
import importlib
import os
import sys
import tempfile
from typing import Optional, Sequence

from google.protobuf import text_format

from object_detection.utils import config_diff
from object_detection.utils import config_text_edit

PROG = "od-config"
EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(ValueError):
  """Bad command-line arguments."""


class _InternalError(RuntimeError):
  """The tool would produce a wrong result; nothing is written."""


class _Parser(argparse.ArgumentParser):
  """argparse that reports errors as one exception instead of exiting."""

  def error(self, message: str):
    raise UsageError("%s (see '%s --help')" % (message, self.prog))


def _config_util():
  """config_util, imported on first use so `--help` answers at once."""
  from object_detection.utils import config_util  # pylint: disable=g-import-not-at-top
  return config_util


def _write_text(path: str, text: str) -> None:
  """Writes `text` to `path` atomically; `-` means stdout.

  Local files keep their permission bits and are synced before the rename;
  URLs (gs://...) go through config_util.write_text_atomically.
  """
  if path == "-":
    sys.stdout.write(text)
    return
  if "://" in path:
    _config_util().write_text_atomically(path, text)
    return
  directory = os.path.dirname(os.path.abspath(path))
  try:
    handle, temporary = tempfile.mkstemp(
        dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
  except OSError as e:  # Name the file asked for, not the temporary one.
    raise OSError(e.errno, e.strerror, path) from None
  try:
    with os.fdopen(handle, "w", encoding="utf-8", newline="") as f:
      f.write(text)
      f.flush()
      os.fsync(f.fileno())
    if os.path.exists(path):
      mode = os.stat(path).st_mode & 0o7777
    else:
      umask = os.umask(0)
      os.umask(umask)
      mode = 0o666 & ~umask
    os.chmod(temporary, mode)
    os.replace(temporary, path)
  except BaseException:
    with contextlib.suppress(OSError):
      os.unlink(temporary)
    raise


def _load(path: str):
  """Parses a pipeline.config file into a TrainEvalPipelineConfig."""
  return _config_util().load_pipeline_config(path)


def _split_assignment(text: str, what: str) -> tuple:
  path, sep, value = text.partition("=")
  if not sep or not path.strip():
    raise UsageError("bad %s %r: expected PATH=VALUE" % (what, text))
  return path.strip(), value


def _output_path(args) -> str:
  if args.in_place:
    return args.config
  if args.output is None:
    raise UsageError("%s: give --in-place or -o OUT (-o - prints the result)"
                     % args.command)
  return args.output


# ------------------------------------------------------------- subcommands


def _show(args) -> int:
  config_util = _config_util()
  pipeline = config_util.load_pipeline_config(args.config)
  if args.override:
    # The configs dict holds views into `pipeline`, so overrides land there
    # (and absent parts stay absent).
    config_util.merge_external_params_with_configs(
        config_util.create_configs_from_pipeline_proto(pipeline),
        kwargs_dict=config_util.parse_override_assignments(args.override))
  sys.stdout.write(text_format.MessageToString(pipeline, as_utf8=True))
  return EXIT_OK


def _last_field(message, path: str) -> tuple:
  """(descriptor of the field `path` ends at, whether it ends in an index)."""
  field = _config_util().find_field_descriptor(message.DESCRIPTOR, path)
  return field, path.rstrip().endswith("]")


def _get(args) -> int:
  pipeline = _load(args.config)
  value = _config_util().get_field_by_path(pipeline, args.path)
  field, indexed = _last_field(pipeline, args.path)
  sys.stdout.write(_value_text(value, field, indexed, args.path))
  return EXIT_OK


def _value_text(value, field, indexed: bool, path: str) -> str:
  """How `get` prints a value: scalars plainly, messages as text format."""
  if hasattr(value, "DESCRIPTOR"):
    return text_format.MessageToString(value, as_utf8=True)
  if field is not None and not indexed and _is_repeated(field):
    if field.message_type is not None:
      return "".join("# %s[%d]\n%s" % (path, i, text_format.MessageToString(
          item, as_utf8=True)) for i, item in enumerate(value))
    return "[%s]\n" % ", ".join(
        config_text_edit.format_scalar(field, v) for v in value)
  if isinstance(value, str):
    return value + "\n"
  if field is not None:
    return config_text_edit.format_scalar(field, value, quote="") + "\n"
  return str(value) + "\n"


def _is_repeated(field) -> bool:
  if hasattr(field, "is_repeated"):
    return field.is_repeated
  return field.label == field.LABEL_REPEATED


def _set(args) -> int:
  output = _output_path(args)
  assignments = [_split_assignment(a, "assignment") for a in args.assignments]
  config_util = _config_util()
  text = config_util.read_text(args.config)
  expected = config_util.parse_pipeline_text(text, args.config)
  for path, value in assignments:
    config_util.set_field_by_path(expected, path, value)
    text = config_text_edit.set_field_text(text, expected, path)
    edited = config_util.parse_pipeline_text(text, args.config)
    if edited != expected:
      raise _InternalError(
          "internal error: the text edit of %s does not give the expected "
          "config; nothing written (please report this)" % path)
  _write_text(output, text)
  return EXIT_OK


def _import_model_builder_quietly() -> None:
  """Imports the model builder (and TensorFlow) with native stderr muted.

  `validate` runs the model builder's checks; TensorFlow's C++ start-up
  lines (CPU features, missing CUDA) would otherwise precede the report.
  """
  saved = os.dup(2)
  devnull = os.open(os.devnull, os.O_WRONLY)
  os.dup2(devnull, 2)
  try:
    importlib.import_module("object_detection.builders.model_builder")
  finally:
    os.dup2(saved, 2)
    os.close(saved)
    os.close(devnull)


def _validate(args) -> int:
  config_util = _config_util()
  configs = config_util.get_configs_from_pipeline_file(args.config)
  _import_model_builder_quietly()
  problems = config_util.validate(configs, config_path=args.config)
  for problem in problems:
    sys.stdout.write("%s: %s: %s: %s\n" % (
        args.config, problem.severity, problem.field_path or "<pipeline>",
        problem.message))
  errors = sum(p.severity == "error" for p in problems)
  sys.stdout.write("%s: %d error(s), %d warning(s)\n" % (
      args.config, errors, len(problems) - errors))
  failed = errors or (args.strict and problems)
  return EXIT_PROBLEMS if failed else EXIT_OK


def _diff(args) -> int:
  differences = config_diff.diff_messages(_load(args.first),
                                          _load(args.second))
  for difference in differences:
    sys.stdout.write(str(difference) + "\n")
  return EXIT_PROBLEMS if differences else EXIT_OK


def _format(args) -> int:
  text = text_format.MessageToString(_load(args.config), as_utf8=True)
  output = args.config if args.in_place else (args.output or "-")
  _write_text(output, text)
  return EXIT_OK


# -------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
  """The argument parser of od-config (one subparser per command)."""
  parser = _Parser(prog=PROG, description=(
      "Inspect, edit, validate and compare TF OD API pipeline.config files."))
  commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                   required=True, parser_class=_Parser)

  show = commands.add_parser("show", help="print the effective config")
  show.add_argument("config", metavar="CONFIG")
  show.add_argument("--override", action="append", default=[],
                    metavar="K=V", help="override key or field path (repeat)")
  show.set_defaults(run=_show)

  get = commands.add_parser("get", help="print one value or sub-message")
  get.add_argument("config", metavar="CONFIG")
  get.add_argument("path", metavar="PATH")
  get.set_defaults(run=_get)

  set_ = commands.add_parser(
      "set", help="change fields, keeping comments and layout")
  set_.add_argument("config", metavar="CONFIG")
  set_.add_argument("assignments", nargs="+", metavar="PATH=VALUE")
  _add_output_arguments(set_)
  set_.set_defaults(run=_set)

  validate = commands.add_parser("validate", help="check the config")
  validate.add_argument("config", metavar="CONFIG")
  validate.add_argument("--strict", action="store_true",
                        help="warnings count as problems (exit 1)")
  validate.set_defaults(run=_validate)

  diff = commands.add_parser("diff", help="field-level differences")
  diff.add_argument("first", metavar="A")
  diff.add_argument("second", metavar="B")
  diff.set_defaults(run=_diff)

  format_ = commands.add_parser("format", help="canonical text format")
  format_.add_argument("config", metavar="CONFIG")
  _add_output_arguments(format_)
  format_.set_defaults(run=_format)
  return parser


def _add_output_arguments(parser: argparse.ArgumentParser) -> None:
  group = parser.add_mutually_exclusive_group()
  group.add_argument("-i", "--in-place", action="store_true",
                     help="rewrite CONFIG")
  group.add_argument("-o", "--output", metavar="OUT",
                     help="write to OUT ('-' for stdout)")


def main(argv: Optional[Sequence[str]] = None) -> int:
  """Runs od-config.

  Args:
    argv: arguments without the program name; sys.argv[1:] when None.

  Returns:
    The exit status (see the module docstring).
  """
  try:
    try:
      args = build_parser().parse_args(argv)
    except SystemExit as e:  # --help.
      return e.code if isinstance(e.code, int) else EXIT_OK
    return args.run(args)
  except KeyboardInterrupt:
    _report("interrupted")
    return EXIT_INTERRUPTED
  except BrokenPipeError:
    with contextlib.suppress(OSError):
      os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_UNUSABLE
  except OSError as e:
    _report(_os_error_text(e))
    return EXIT_UNUSABLE
  except (ValueError, _InternalError) as e:  # ConfigError, UsageError, ...
    _report(str(e))
    return EXIT_UNUSABLE
  except Exception as e:  # pylint: disable=broad-except
    # A bug, not bad input; still one line rather than a traceback.
    _report("internal error: %s: %s" % (type(e).__name__, e))
    return EXIT_UNUSABLE


def _os_error_text(error: OSError) -> str:
  if error.filename is not None and error.strerror:
    return "%s: %s" % (error.filename, error.strerror)
  return str(error)


def _report(message: str) -> None:
  sys.stderr.write("%s: error: %s\n" % (PROG, message))


def _entry_point() -> None:
  sys.exit(main())


if __name__ == "__main__":
  _entry_point()
