"""Python modules generated from the top-level ``protos/*.proto`` schema.

The ``*_pb2.py`` files here are produced at install time (``pip install .``
or ``pip install -e .``) and are never committed. Importing one from a tree
that was never built raises an ImportError that says how to build it,
instead of a bare "No module named ...".
"""

import importlib.abc
import os
import sys

_BUILD_HINT = (
    "the configuration schema has not been compiled in this source tree: "
    "run `pip install -e .` (or `make install`) from %s to generate "
    "object_detection/protos/*_pb2.py" % os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))


class _MissingGeneratedModuleFinder(importlib.abc.MetaPathFinder):
  """Last-resort finder that explains why a generated module is missing."""

  def find_spec(self, fullname, path, target=None):
    if fullname.startswith(__name__ + ".") and fullname.endswith("_pb2"):
      raise ImportError("cannot import %s: %s" % (fullname, _BUILD_HINT),
                        name=fullname)
    return None


if not any(isinstance(f, _MissingGeneratedModuleFinder) for f in sys.meta_path):
  sys.meta_path.append(_MissingGeneratedModuleFinder())
