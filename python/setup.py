"""Builds the onetrans package. ``ONETRANS_BUNDLE_LIBRARY=FILE`` (set by scripts/python-wheel.sh)
copies the shared library into ``onetrans/_lib/`` and tags the wheel for this platform
(``py3-none-<platform>``); without it the package is pure Python and finds the library through
``ONETRANS_LIBRARY`` or the system's search."""

import os
import shutil

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

BUNDLE = os.environ.get("ONETRANS_BUNDLE_LIBRARY")


class BuildPy(build_py):
    """Copies the library into the built package when asked to."""

    def run(self):
        super().run()
        if BUNDLE:
            target = os.path.join(self.build_lib, "onetrans", "_lib")
            os.makedirs(target, exist_ok=True)
            shutil.copy2(BUNDLE, target)


class BundleDistribution(Distribution):
    """With the library bundled the package is platform-specific (platlib, a platform tag)."""

    def has_ext_modules(self):
        return bool(BUNDLE)


cmdclass = {"build_py": BuildPy}

if BUNDLE:
    from wheel.bdist_wheel import bdist_wheel

    class PlatformWheel(bdist_wheel):
        """One wheel for every Python 3 of this platform: the library has no Python ABI."""

        def get_tag(self):
            return ("py3", "none", super().get_tag()[2])

    cmdclass["bdist_wheel"] = PlatformWheel

setup(cmdclass=cmdclass, distclass=BundleDistribution)
