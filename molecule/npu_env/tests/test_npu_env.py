"""The environment a login shell, systemd and Ray see on every node."""

EXPECTED = {
    "ASCEND_RT_VISIBLE_DEVICES": ",".join(str(i) for i in range(16)),
    "HCCL_HOST_SOCKET_PORT_RANGE": "60000-60050",
    "HCCL_NPU_SOCKET_PORT_RANGE": "61000-61050",
    "RAY_EXPERIMENTAL_NOSET_ASCEND_RT_VISIBLE_DEVICES": "1",
    "HCCL_SOCKET_IFNAME": "enp189s0f0",
    "GLOO_SOCKET_IFNAME": "enp189s0f0",
    "SGLANG_DEEPEP_BF16_DISPATCH": "1",
}


def test_login_shell_environment(host):
    for key, value in EXPECTED.items():
        assert host.check_output("bash -lc 'printf %%s \"$%s\"'" % key) == value, key


def test_plain_env_file_for_systemd_and_ray(host):
    lines = host.file("/etc/ascend_verl/npu.env").content_string.splitlines()
    pairs = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    for key, value in EXPECTED.items():
        assert pairs[key] == value, key
    assert pairs["ASCEND_TOOLKIT_HOME"] == "/usr/local/Ascend/ascend-toolkit/latest"


def test_hydra_overrides(host):
    lines = host.file("/etc/ascend_verl/verl_sglang_overrides.txt").content_string.split()
    assert lines[:2] == ["actor_rollout_ref.rollout.name=sglang",
                         '+actor_rollout_ref.rollout.engine_kwargs.sglang.attention_backend="ascend"']
    assert '++actor_rollout_ref.rollout.engine_kwargs.sglang.moe_a2a_backend="deepep"' in lines
