"""What site.yml leaves on every simulated node (extended as the stages grow)."""


def test_node_shows_its_npus_on_pci(host):
    out = host.check_output("lspci -n -d 19e5:d802")
    assert len(out.splitlines()) == 8


def test_ssh_reaches_the_node_it_should(host):
    assert host.backend.get_hostname() in ("node1", "node2")
    assert host.check_output("hostname") == host.backend.get_hostname()


def test_system_python_for_modules(host):
    assert host.exists("python3")
