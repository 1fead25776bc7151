"""setuptools' side of `pip install --no-build-isolation .` (pyproject.toml): the extension
retort._native is built by CMake from this checkout (python/CMakeLists.txt), with the Python
that runs pip, and copied where setuptools packs it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


def version() -> str:
    text = (ROOT / "CMakeLists.txt").read_text()
    found = re.search(r"project\(retort VERSION ([0-9.]+)", text)
    if not found:
        raise RuntimeError("no project(retort VERSION ...) in CMakeLists.txt")
    return found.group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        build = Path(self.build_temp).resolve() / "cmake"
        configure = ["cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                     "-DRETORT_BUILD_TESTS=OFF", "-DRETORT_BUILD_PYTHON=ON",
                     f"-DPython3_EXECUTABLE={sys.executable}"]
        if shutil.which("ninja"):
            configure += ["-G", "Ninja"]
        configure += os.environ.get("CMAKE_ARGS", "").split()  # e.g. a compiler launcher
        subprocess.run(configure, check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build), "--target", "retort_python", "-j", jobs],
                       check=True)
        built = next((build / "python" / "retort").glob("_native*.so"))
        target = Path(self.get_ext_fullpath(ext.name))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, target)


setup(
    version=version(),
    ext_modules=[Extension("retort._native", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    # Not build/, the usual CMake build directory of a checkout.
    options={"build": {"build_base": "build-python"}},
)
