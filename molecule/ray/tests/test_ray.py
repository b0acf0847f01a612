"""Ray as a service, read on the node: the SysV service the simulated nodes run (a systemd host
gets the unit), the raylet's flags, the head's view of the cluster."""

import json

PY = "/opt/miniforge3/envs/verl-sglang/bin/python"
RAY = "/opt/miniforge3/envs/verl-sglang/bin/ray"


def raylet_flags(host):
    pid = host.check_output("pgrep -x raylet")
    argv = host.check_output("tr '\\0' '\\n' < /proc/%s/cmdline" % pid).splitlines()
    return dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)


def test_the_service_runs_and_starts_at_boot(host):
    assert host.run("service ray status").rc == 0
    assert host.check_output("ls /etc/rc2.d").count("ray") == 1
    script = host.file("/etc/init.d/ray").content_string
    assert "EnvironmentFile" not in script and ". \"$ENV_FILE\"" in script
    assert ("--head" in script) == (host.backend.get_hostname() == "node1")


def test_the_raylet_offers_the_nodes_npus_on_the_fixed_ports(host):
    flags = raylet_flags(host)
    assert flags["node_manager_port"] == "6767" and flags["object_manager_port"] == "6768"
    assert (flags["min_worker_port"], flags["max_worker_port"]) == ("10002", "19999")
    resources = flags["static_resource_list"].split(",")
    assert resources[resources.index("NPU") + 1] in ("8", "8.0")
    assert flags["node_ip_address"] == host.ansible.get_variables()["ansible_host"]


def test_the_head_sees_both_nodes_with_16_npus(host):
    if host.backend.get_hostname() != "node1":
        return
    me = host.ansible.get_variables()["ansible_host"]
    script = ("import json, ray; ray.init(address='%s:6766', _node_ip_address='%s', " % (me, me) +
              "logging_level='ERROR', log_to_driver=False); "
              "print(json.dumps(sorted((n['NodeManagerAddress'], n['Resources'].get('NPU')) "
              "for n in ray.nodes() if n['Alive'])))")
    nodes = json.loads(host.check_output("RAY_USAGE_STATS_ENABLED=0 %s -c \"%s\" 2>/dev/null | tail -1" % (PY, script)))
    assert [n[1] for n in nodes] == [8.0, 8.0] and len(nodes) == 2
