# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Role -> (planner, roles whose knobs it also reads, template variables function)."""

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans import (
    artifact, baseline, cann, conda, fabric, hdk, npu_env, preflight, python_stack, ray, train)

PLANNERS = {
    "artifact": (artifact.artifact, (), None),
    "preflight": (preflight.preflight, (), None),
    "hdk": (hdk.hdk, (), None),
    "cann": (cann.cann, (), None),
    "npu_env": (npu_env.npu_env, (), npu_env.template_vars),
    "conda": (conda.conda, (), None),
    "sglang_npu": (python_stack.sglang_npu, ("conda",), None),
    "verl": (python_stack.verl, ("conda",), None),
    "baseline": (baseline.baseline, (), None),
    "fabric": (fabric.fabric, (), None),
    "ray": (ray.ray, (), None),
    "train": (train.train, ("verl", "npu_env"), None),
}
