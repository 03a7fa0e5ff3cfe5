"""The one compiled module (`monitor/text/_fold.c`); everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(ext_modules=[Extension("monitor.text._fold", ["monitor/text/_fold.c"])])
