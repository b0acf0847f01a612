# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the diagnostics bundle: thin wrappers over module_utils/collect.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.ascend_verl.cluster.plugins.module_utils import collect


class FilterModule(object):
    def filters(self):
        return {
            "collect_secrets": collect.secret_values,
        }
