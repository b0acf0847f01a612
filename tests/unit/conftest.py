"""Unit tests import the collection as ansible_collections.ascend_verl.cluster.

Installed (the tests ship in the tarball), the tree already sits at
<path>/ansible_collections/ascend_verl/cluster: put <path> on sys.path.  In the checkout,
`make deps` links it into build/collections; put that on sys.path, so the module code
imports exactly as it does when Ansible ships it to a node.
"""

import os
import shutil
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
parts = ROOT.split(os.sep)
if parts[-3:-1] == ["ansible_collections", "ascend_verl"] and parts[-1] == "cluster":
    COLLECTIONS = os.sep.join(parts[:-3])
else:
    COLLECTIONS = os.path.join(ROOT, "build", "collections")
    LINK = os.path.join(COLLECTIONS, "ansible_collections", "ascend_verl", "cluster")
    if not os.path.islink(LINK):    # absent, or an installed copy that would shadow the checkout
        shutil.rmtree(LINK, ignore_errors=True)
        os.makedirs(os.path.dirname(LINK), exist_ok=True)
        os.symlink(os.path.relpath(ROOT, os.path.dirname(LINK)), LINK)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
