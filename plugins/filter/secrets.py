# Copyright (c) ascend_verl.cluster contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters that keep credentials out of what is shown: thin wrappers over module_utils/secrets.py."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.ascend_verl.cluster.plugins.module_utils import secrets


def url_credentials(url, username="", password=""):
    """{url, username, password}: the URL without userinfo; the knobs win over the URL's userinfo."""
    bare, user, pw = secrets.url_credentials(url, username, password)
    return {"url": bare, "username": user, "password": pw}


class FilterModule(object):
    def filters(self):
        return {
            "url_credentials": url_credentials,
            "mask_secrets": secrets.mask_text,
            "pip_auth": secrets.pip_auth,
            "env_secrets": secrets.env_secrets,
        }
