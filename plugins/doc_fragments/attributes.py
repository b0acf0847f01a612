# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later


class ModuleDocFragment(object):

    # Modules that only read the node: they run unchanged in check mode and have no diff.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    support: full
    description: The module only reads; it runs unchanged in check mode.
  diff_mode:
    support: none
    description: Nothing is changed, so there is no diff.
"""
