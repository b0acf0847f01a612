"""from_vault: which knob values came from Ansible Vault (layer 1 warns about the others)."""

import pytest

from ansible_collections.ascend_verl.cluster.plugins.plugin_utils import role_knobs

tags = pytest.importorskip("ansible._internal._datatag._tags")     # ansible-core 2.19+: values carry their origin


def test_a_plain_value_is_not_from_vault():
    assert role_knobs.from_vault("S3cret", "S3cret") is False
    assert role_knobs.from_vault(tags.Origin(description="<CLI option '-e'>").tag("S3cret"), "S3cret") is False


def test_a_variable_of_a_vault_encrypted_file_is(tmp_path):
    vaulted, plain = tmp_path / "vault.yml", tmp_path / "vars.yml"
    vaulted.write_text("$ANSIBLE_VAULT;1.1;AES256\n3132\n")
    plain.write_text("pw: S3cret\n")
    # "{{ vault_pw }}" templates to the value of vault_pw, which keeps the origin of its own file
    assert role_knobs.from_vault("{{ vault_pw }}", tags.Origin(path=str(vaulted), line_num=1).tag("S3cret")) is True
    assert role_knobs.from_vault("{{ pw }}", tags.Origin(path=str(plain), line_num=1).tag("S3cret")) is False


def test_an_inline_vault_value_is():
    value = tags.VaultedValue(ciphertext="$ANSIBLE_VAULT;1.1;AES256\n3132\n").tag("S3cret")
    assert role_knobs.from_vault(value, value) is True
