"""Packaging for the object_detection toolkit.

The configuration schema lives in top-level ``protos/*.proto``. Every build
(``pip install .``, ``pip install -e .``, ``python -m build``) compiles it with
grpcio-tools (a declared build requirement, see pyproject.toml) into
``object_detection/protos/*_pb2.py``; the generated modules are never
committed. protoc sees the files under their import path
``object_detection/protos/NAME.proto`` through a virtual proto path that maps
onto the ``protos/`` folder.
"""

import glob
import os
import re

import setuptools
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO_DIR = os.path.join(HERE, "protos")
PROTO_IMPORT_PATH = "object_detection/protos"


def compile_protos(output_root: str) -> None:
  """Compiles every protos/*.proto into <output_root>/object_detection/protos."""
  from grpc_tools import protoc  # build requirement, imported lazily
  import importlib.resources

  proto_files = sorted(glob.glob(os.path.join(PROTO_DIR, "*.proto")))
  if not proto_files:
    raise RuntimeError("no .proto files found in %s" % PROTO_DIR)
  well_known = str(importlib.resources.files("grpc_tools") / "_proto")
  os.makedirs(os.path.join(output_root, PROTO_IMPORT_PATH), exist_ok=True)
  args = [
      "grpc_tools.protoc",
      "--proto_path=%s=%s" % (PROTO_IMPORT_PATH, PROTO_DIR),
      "--proto_path=%s" % well_known,
      "--python_out=%s" % output_root,
      "--pyi_out=%s" % output_root,
  ] + proto_files
  if protoc.main(args) != 0:
    raise RuntimeError("protoc failed to compile %s" % PROTO_DIR)
  for path in glob.glob(os.path.join(output_root, PROTO_IMPORT_PATH, "*_pb2.py")):
    _drop_runtime_version_check(path)


_VERSION_CHECK = re.compile(
    r"^_runtime_version\.ValidateProtobufRuntimeVersion\(.*?\n\)\n",
    re.MULTILINE | re.DOTALL)


def _drop_runtime_version_check(path: str) -> None:
  """Removes the gencode/runtime version pin from a generated module.

  The build environment gets the newest grpcio-tools, whose generated code
  refuses any protobuf runtime older than itself, while TensorFlow pins the
  runtime the user actually has. The generated modules only build descriptors
  from a serialized FileDescriptorProto, which every supported runtime reads,
  so the pin is dropped rather than forcing one protobuf version on everyone.
  """
  with open(path) as f:
    text = f.read()
  text = _VERSION_CHECK.sub("", text)
  text = text.replace(
      "from google.protobuf import runtime_version as _runtime_version\n", "")
  with open(path, "w") as f:
    f.write(text)


class BuildPyWithProtos(build_py):
  """build_py that generates the *_pb2.py modules first.

  For an editable install they go into the source tree (where the editable
  finder imports them from); otherwise into the build directory only.
  """

  def run(self):
    super().run()
    compile_protos(self.build_lib)
    if getattr(self, "editable_mode", False):
      compile_protos(HERE)


if __name__ == "__main__":
  setuptools.setup(cmdclass={"build_py": BuildPyWithProtos})
