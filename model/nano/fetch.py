"""Fetch the Debian packages the recipe trains on (apt-get download + dpkg-deb -x, no root needed)."""
import glob
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, 'build')
DEB_DIR = os.path.join(BUILD, 'deb')
ROOTFS = os.path.join(BUILD, 'rootfs')

# package -> licence of the text we use (recorded in the model card)
PACKAGES = {
    'wordnet-base': 'WordNet 3.0 licence (permissive, BSD-like)',
    'dict-jargon': 'public domain (Jargon File 4.4.7)',
}


def fetch():
    os.makedirs(DEB_DIR, exist_ok=True)
    versions = {}
    for pkg in PACKAGES:
        debs = glob.glob(os.path.join(DEB_DIR, pkg + '_*.deb'))
        if not debs:
            subprocess.run(['apt-get', 'download', pkg], cwd=DEB_DIR, check=True)
            debs = glob.glob(os.path.join(DEB_DIR, pkg + '_*.deb'))
        deb = sorted(debs)[-1]
        subprocess.run(['dpkg-deb', '-x', deb, ROOTFS], check=True)
        versions[pkg] = subprocess.run(['dpkg-deb', '-f', deb, 'Version'], check=True,
                                       capture_output=True, text=True).stdout.strip()
    return versions


if __name__ == '__main__':
    print(fetch())
