# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for packages in the node's cache and archives unpacked from it (role artifact).

Every checksum is known before anything moves (the source's SHA256SUMS, plus
artifact_checksums); a file whose sha256 on the node already matches is not transferred; a
directory that records the sha256 of the archive SHA256SUMS names already holds it, so its
archive is neither fetched nor hashed again.  The texts come as the tools print them:
SHA256SUMS and `sha256sum` lines ("<hex>  <name>", "*" for binary mode), and the
"<dir>\\t<recorded sha256>" lines of the marker read.  Python 3.9+, standard library only.
"""

import os
import re

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan
from ansible_collections.ascend_verl.cluster.plugins.module_utils.secrets import mask_text

_SUM_LINE = re.compile(r"^\s*([0-9a-fA-F]{64})\s+\*?(\S.*?)\s*$")


def parse_sums(text):
    """SHA256SUMS or sha256sum output -> {file name: lower-case hex}; other lines are ignored."""
    out = {}
    for line in (text or "").splitlines():
        match = _SUM_LINE.match(line)
        if match:
            out[os.path.basename(match.group(2))] = match.group(1).lower()
    return out


def parse_held(text):
    """"<dir>\\t<sha256 or empty>" lines -> {dir: sha256 or None}."""
    out = {}
    for line in (text or "").splitlines():
        path, dummy, sha = line.partition("\t")
        if path:
            out[path] = sha.strip().lower() or None
    return out


def source(knobs):
    """Where the packages come from, as messages show it (a mirror URL's password masked)."""
    if knobs["artifact_source_type"] == "controller":
        return knobs["artifact_source_path"]
    return mask_text(knobs["artifact_source_url"].rstrip("/"))


def artifact(manifest, facts, knobs, inputs=None):
    inputs = inputs or {}
    sums = parse_sums(inputs.get("sums"))
    sums.update(dict((k, str(v).lower()) for k, v in (knobs["artifact_checksums"] or {}).items()))
    files = list(inputs.get("files") or [])
    missing = [f for f in files if f not in sums]
    problems = []
    if missing:
        problems.append("no sha256 for %s in SHA256SUMS of %s (or artifact_checksums); refusing to use unchecked packages"
                        % (", ".join(missing), source(knobs)))
    have = parse_sums(inputs.get("hashes"))
    fetch = [f for f in files if f in sums and have.get(f) != sums[f]]
    bad = ["%s from %s has sha256 %s but SHA256SUMS says %s" % (f, source(knobs), have[f], sums[f])
           for f in fetch if f in have]
    held = parse_held(inputs.get("held"))
    unpack = [u for u in inputs.get("unpack") or [] if held.get(u["dest"]) != sums.get(u["file"])]
    steps = [{"name": "fetch", "file": f, "why": "%s: not in the cache or another sha256" % f} for f in fetch]
    steps += [{"name": "unpack", "file": u["file"], "dest": u["dest"], "why": "%s: does not hold %s" % (u["dest"], u["file"])}
              for u in unpack]
    return plan("artifact", problems, steps, sums=dict((f, sums[f]) for f in files if f in sums), fetch=fetch, bad=bad,
                unpack=unpack, source=source(knobs))
