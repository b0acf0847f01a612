# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan for the RoCE port addresses (placeholder: being written)."""

from ansible_collections.ascend_verl.cluster.plugins.module_utils.plans.common import plan


def fabric(manifest, facts, knobs, inputs=None):
    return plan("fabric")
