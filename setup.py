"""Build: setup.cfg holds the metadata; this adds the start-up hook `d2lsoftmax_compat.pth`.

The hook lands in site-packages beside the packages, in a regular install (`pip install .`)
and in an editable one (`pip install -e .`), so that `import mxnet` works in that
environment before `import d2lsoftmax` does (see d2lsoftmax_compat.py).
"""
from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

HOOK = 'd2lsoftmax_compat.pth'


class build_py_with_hook(build_py):
    """Copy the hook to the root of the build, so the wheel puts it in site-packages."""

    def run(self):
        super().run()
        self.copy_file(HOOK, f'{self.build_lib}/{HOOK}', preserve_mode=False)


class editable_wheel_with_hook(editable_wheel):
    """Add the hook to the editable wheel too (setuptools puts only its own .pth there)."""

    def _create_wheel_file(self, bdist_wheel):
        from wheel.wheelfile import WheelFile
        wheel_path = super()._create_wheel_file(bdist_wheel)
        with WheelFile(wheel_path, 'a') as wheel:
            wheel.write(HOOK)
        return wheel_path


setup(cmdclass={'build_py': build_py_with_hook, 'editable_wheel': editable_wheel_with_hook})
