# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Which managed files differ from what their templates give.

The ascend_plan action renders each template on the controller and passes its sha1, mode,
owner and group; the reader stat-ed the same paths on the node in the probe it already
made.  Only files that differ get a template task, so a node that is already right costs
no call per file.  Python 3.9+, standard library only.
"""


def stale(rendered, found):
    """-> [{name: file, src, dest, why}] for each rendered file whose node copy differs."""
    steps = []
    for item in rendered:
        have = found.get(item["dest"]) or {"exists": False}
        if not have.get("exists"):
            why = "absent"
        elif have.get("checksum") != item["checksum"]:
            why = "content differs"
        else:
            wrong = ["%s %s, wanted %s" % (k, have.get(k), item[k]) for k in ("mode", "owner", "group")
                     if str(have.get(k)) != str(item[k])]
            why = "; ".join(wrong)
        if why:
            steps.append({"name": "file", "src": item["src"], "dest": item["dest"], "mode": item["mode"],
                          "owner": item["owner"], "group": item["group"], "why": "%s: %s" % (item["dest"], why)})
    return steps
