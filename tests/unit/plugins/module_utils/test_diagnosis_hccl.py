"""The collective benchmark in the diagnosis: a node's own run, the head's run across the nodes
and its bisection, each named on the right host; the Markdown line with the figures."""

from ansible_collections.ascend_verl.cluster.plugins.module_utils import diagnosis
from ansible_collections.ascend_verl.cluster.plugins.modules import verify_report

from test_diagnosis import healthy, probe, where


def intra(ok=True, gbps=18.0, message="18.00 GB/s at 64M, no floor set"):
    return {"ok": ok, "bandwidth": gbps, "message": message, "runs": [{"hosts": ["x"]}], "blamed": [], "unresolved": []}


def cluster(nodes, ok=True, gbps=12.0, blamed=(), unresolved=(), message="12.00 GB/s at 64M"):
    return {"ok": ok, "bandwidth": gbps, "message": message, "blamed": list(blamed), "unresolved": list(unresolved),
            "runs": [{"hosts": list(nodes)}] + [{"hosts": ["x"]}] * (0 if ok else 6)}


def with_hccl(n=3, **per_host):
    hosts = probe(healthy(n))
    for host in hosts:
        hosts[host]["hccl"] = {"intra": intra(), "cluster": None}
    hosts["node1"]["hccl"]["cluster"] = cluster(sorted(hosts))
    for host, value in per_host.items():
        hosts[host]["hccl"].update(value)
    return hosts


def test_a_good_benchmark_reports_its_figures():
    out = diagnosis.diagnose(with_hccl())
    assert out["ok"] and out["hccl"] == {"intra_gbps": {"node1": 18.0, "node2": 18.0, "node3": 18.0},
                                         "cluster_gbps": 12.0, "cluster_nodes": 3, "runs": 1}
    text = verify_report._markdown(out, {})
    assert "hccl_test (GB/s at the largest size): inside each node node1 18.00, node2 18.00, node3 18.00; " \
           "across 3 nodes 12.00 (1 runs)." in text


def test_a_node_whose_own_run_failed_is_named():
    out = diagnosis.diagnose(with_hccl(node2={"intra": intra(False, None, "no result rows: hccl interface return err")}))
    assert where(out) == [("node2", None, "hccl")]
    assert out["failures"][0]["message"] == "hccl_test inside the node: no result rows: hccl interface return err"


def test_the_bisection_names_the_slow_node_not_the_head():
    bad = cluster(["node1", "node2", "node3"], ok=False, gbps=4.0, blamed=["node3"],
                  message="3 node(s): 4.00 GB/s at 64M is below the floor of 9.60 GB/s; slow or failing: node3")
    out = diagnosis.diagnose(with_hccl(node1={"cluster": bad}))
    assert where(out) == [("node3", None, "hccl")]
    assert out["failures"][0]["message"].startswith("the all-node hccl_test is bad with this node and good without it")


def test_a_path_between_two_nodes_names_both_and_an_unexplained_run_names_the_head():
    pair = cluster(["node1", "node2"], ok=False, unresolved=[["node1", "node2"]], message="bad")
    named = where(diagnosis.diagnose(with_hccl(2, node1={"cluster": pair})))
    assert named == [("node1", None, "hccl"), ("node2", None, "hccl")]
    failed = {"failed": True, "msg": "hccl_bench: unknown hccl_test 'x'"}
    out = diagnosis.diagnose(with_hccl(2, node1={"cluster": failed}))
    assert where(out) == [("node1", None, "hccl")] and "unknown hccl_test" in out["failures"][0]["message"]


def test_without_the_benchmark_there_is_no_hccl_summary():
    assert diagnosis.diagnose(probe(healthy(2)))["hccl"] is None
