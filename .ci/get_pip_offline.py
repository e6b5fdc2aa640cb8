# baremetal.exposure: offline stand-in for get-pip.py (marker: exposure-get-pip-shim)
#
# ansible-test bootstraps pip in its venvs by running get-pip.py, downloaded from
# ci-files.testing.ansible.com (not reachable here). When ~/.ansible/test/cache/get_pip_<ver>.py
# exists it runs that instead, with pip's install arguments. This stand-in installs the pip
# bundled with Python (ensurepip), then runs `pip install` with the same arguments, which
# fetches the exact pip ansible-test asks for from PyPI. Installed by `make sanity`.
import subprocess
import sys

DROP = {"--no-setuptools", "--no-wheel"}


def main():
    args = [arg for arg in sys.argv[1:] if arg not in DROP]
    subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
    subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)


if __name__ == "__main__":
    main()
