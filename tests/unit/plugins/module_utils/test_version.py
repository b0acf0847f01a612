"""The one version comparator, table by table: equal spellings, orderings checked both ways,
garbage that must not raise, PEP 440 specifiers, PEP 508 requirement lines and markers, and
`unmet` over verl's requirements-npu.txt on a provisioned node."""

import random

import pytest

from ansible_collections.ascend_verl.cluster.plugins.module_utils import version as v

# ---- key / compare / same ---------------------------------------------------------------

EQUAL = [
    ("25.3.RC1", "25.3.rc1"),
    ("25.3.rc1", "25.3rc1"),
    ("25.3rc1", "v25.3.rc1"),
    ("V25.3.RC1", "25.3.rc1"),
    ("25.3-rc-1", "25.3.rc1"),            # separators . - _ are one
    ("25.3_rc_1", "25.3.rc1"),
    (" 8.3.RC1 ", "8.3.rc1"),
    ("8.3", "8.3.0"),                     # trailing zeros do not matter
    ("8.3.0.0", "8.3"),
    ("2026.01.21", "2026.1.21"),          # numbers compare numerically
    ("1.0a1", "1.0.alpha1"),
    ("1.0b2", "1.0-beta-2"),
    ("1.0rc1", "1.0c1"),
    ("1.0rc1", "1.0pre1"),
    ("1.0rc1", "1.0.preview1"),
    ("8.5.0.alpha001", "8.5.0a1"),
    ("1.0rc", "1.0rc0"),                  # a pre-, post- or dev-release without a number is 0
    ("1.0.dev", "1.0.dev0"),
    ("1.0.post", "1.0.post0"),
    ("2.7.1-post2", "2.7.1.post2"),
    ("2.7.1post2", "2.7.1.post2"),
    ("2.7.1_post_2", "2.7.1.post2"),
    ("2.7.1.rev2", "2.7.1.post2"),
    ("2.7.1.r2", "2.7.1.post2"),
    ("25.3.rc1.1.0", "25.3.rc1.1"),       # hotfix tails drop trailing zeros too
    ("8.3.RC1.B030", "8.3.rc1.b30"),
    ("2.7.1+CPU", "2.7.1+cpu"),
    ("2.7.1+cu121.post1", "2.7.1+cu121-post1"),
    ("0!1.0", "1.0"),
    ("1!2.0", "1!2"),
    ("7.8.0.1.211", "7.8.0.01.0211"),
    ("UNKNOWN", "unknown"),
    (8, "8.0"),                           # YAML hands numbers over as numbers
    (8.3, "8.3.0"),
    ("", "  "),
]

CHAINS = [
    ["8.3.RC1", "8.3.RC2", "8.3.0", "8.3.0.post1", "8.3.1"],
    ["8.5.0.alpha001", "8.5.0.alpha002", "8.5.0.beta1", "8.5.0rc1", "8.5.0"],
    ["0.0.0.dev0", "0.0.0a1.dev0", "0.0.0a1", "0.0.0a1.post1", "0.0.0b1", "0.0.0rc1", "0.0.0", "0.0.0.post1.dev0",
     "0.0.0.post1"],
    ["2.7.1", "2.7.1+cpu", "2.7.1.post1", "2.7.1.post2", "2.7.1.post10", "2.7.2"],
    ["25.3.rc1", "25.3.rc1.1", "25.3.rc1.2", "25.3.rc1.10", "25.3.rc2", "25.3.0", "25.3.1"],
    ["8.3.RC1", "8.3.RC1.B010", "8.3.RC1.B030", "8.3.RC2"],
    ["25.3.rc1.9", "25.3.rc1.b010"],      # in a build tail numbers sort before words
    ["7.8.0.1.211", "7.8.0.5.216", "7.8.1", "7.10"],
    ["2026.1.0", "2026.01.21", "2026.2", "2027"],
    ["9.0", "10.0", "100.0"],
    [None, "0", "0.0.1", "1.0", "99.0", "unknown"],   # None sorts lowest, words after numbers
    ["1.0", "1.0.foo", "1.1"],
    ["2.7.1+abc", "2.7.1+cpu", "2.7.1+cu121", "2.7.1+1", "2.7.1+2"],   # local: words before numbers (PEP 440)
    ["99.0", "1!0.1"],                    # epochs first
    ["3.9", "3.10", "3.11.13", "3.12.0rc1", "3.12"],
]
ORDERED = [(a, b) for chain in CHAINS for a, b in zip(chain, chain[1:])]

GARBAGE = [None, "", "   ", "unknown", "n/a", "...", "v", "V", "+", "1.0+", "-", "!", "1!", "rc", "post", "dev",
           "1..2", "1.0-", "not a version at all!", "9" * 60, "V100R001C23SPC002B212", "1.0\n", "\u00e9t\u00e9", 0, 3.5]


@pytest.mark.parametrize("first, second", EQUAL)
def test_equal_spellings(first, second):
    assert v.key(first) == v.key(second)
    assert v.compare(first, second) == 0 and v.compare(second, first) == 0
    assert v.same(first, second) and v.same(second, first)


@pytest.mark.parametrize("lower, higher", ORDERED)
def test_ordering_both_ways(lower, higher):
    assert v.key(lower) < v.key(higher)
    assert v.compare(lower, higher) == -1
    assert v.compare(higher, lower) == 1
    assert not v.same(lower, higher) and not v.same(higher, lower)


@pytest.mark.parametrize("chain", CHAINS)
def test_sorting_a_shuffled_chain_restores_it(chain):
    shuffled = list(chain)
    random.Random(len(chain)).shuffle(shuffled)
    assert sorted(shuffled, key=v.key) == chain
    assert sorted(reversed(chain), key=v.key) == chain


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_never_raises(text):
    assert isinstance(v.key(text), tuple)
    assert v.compare(text, "1.0") in (-1, 0, 1)
    assert v.compare("1.0", text) == -v.compare(text, "1.0")
    assert v.same(text, text)
    sorted(GARBAGE + ["1.0", "25.3.rc1", "2.7.1+cpu"], key=v.key)   # every key is comparable with every other


@pytest.mark.parametrize("one, other, expected", [
    (None, None, True),
    (None, "", False),                    # None (absent) equals only None
    ("", None, False),
    (None, "0", False),
    ("", "", True),
    ("2.7.1+cpu", "2.7.1", False),        # same only through the requirement rule, see unmet
    ("8.3.RC1", "8.3.0", False),
    ("25.3.rc1.1", "25.3.rc1", False),
])
def test_same_edges(one, other, expected):
    assert v.same(one, other) is expected
    assert v.same(other, one) is expected


def test_none_and_blank_sort_lowest():
    assert v.key(None) == v.key("") < v.key("0.0.0.dev0") < v.key("0") < v.key("unknown")
    assert v.compare(None, None) == 0


# ---- names ------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("qwen_vl_utils", "qwen-vl-utils"),
    ("Triton_Ascend", "triton-ascend"),
    ("torch.npu", "torch-npu"),
    ("a__-._B", "a-b"),
    ("hydra-core", "hydra-core"),
    ("PyYAML", "pyyaml"),
])
def test_normalize_name(name, expected):
    assert v.normalize_name(name) == expected


# ---- requirements -----------------------------------------------------------------------

def req(name, extras=(), specifiers=(), marker=None, url=None):
    return {"name": name, "extras": list(extras), "specifiers": list(specifiers), "marker": marker, "url": url}


@pytest.mark.parametrize("text, expected", [
    ("numpy<2.0.0", req("numpy", specifiers=[("<", "2.0.0")])),
    ("tensordict>=0.8.0,<=0.10.0,!=0.9.0", req("tensordict", specifiers=[(">=", "0.8.0"), ("<=", "0.10.0"), ("!=", "0.9.0")])),
    ("tensordict >= 0.8.0 , <= 0.10.0", req("tensordict", specifiers=[(">=", "0.8.0"), ("<=", "0.10.0")])),
    ("ray[default]", req("ray", extras=["default"])),
    ("ray[Default, Data_Extra]>=2.40", req("ray", extras=["default", "data-extra"], specifiers=[(">=", "2.40")])),
    ("qwen_vl_utils", req("qwen-vl-utils")),
    ("triton-ascend==3.2.0", req("triton-ascend", specifiers=[("==", "3.2.0")])),
    ("peft>=0.15.2", req("peft", specifiers=[(">=", "0.15.2")])),
    ("Hydra_Core", req("hydra-core")),
    ("pkg @ https://x/y.whl", req("pkg", url="https://x/y.whl")),
    ("pkg@https://x/y.whl#sha256=00ff", req("pkg", url="https://x/y.whl#sha256=00ff")),
    ("pkg[a] @ https://x/y.whl ; python_version < '3.12'", req("pkg", extras=["a"], url="https://x/y.whl",
                                                               marker="python_version < '3.12'")),
    ("foo; python_version < '3.12'", req("foo", marker="python_version < '3.12'")),
    ('foo>=1.0 ; sys_platform == "linux" and platform_machine == "aarch64"',
     req("foo", specifiers=[(">=", "1.0")], marker='sys_platform == "linux" and platform_machine == "aarch64"')),
    ("foo==1.*", req("foo", specifiers=[("==", "1.*")])),
    ("foo!=1.4.*", req("foo", specifiers=[("!=", "1.4.*")])),
    ("foo~=1.4.2", req("foo", specifiers=[("~=", "1.4.2")])),
    ("foo===weird", req("foo", specifiers=[("===", "weird")])),
    ("foo (>=1.0, <2)", req("foo", specifiers=[(">=", "1.0"), ("<", "2")])),
    ("torch==2.7.1+cpu", req("torch", specifiers=[("==", "2.7.1+cpu")])),
    ("ascend-driver==25.3.RC1", req("ascend-driver", specifiers=[("==", "25.3.RC1")])),
    ("  accelerate  ", req("accelerate")),
])
def test_parse_requirement(text, expected):
    assert v.parse_requirement(text) == expected


@pytest.mark.parametrize("text", [
    "", "   ", None,
    "-r requirements.txt", "--index-url https://mirror/simple", "-e .", "-c constraints.txt",
    "./local/path", "https://x/y.whl", "[extra]",
    "foo=1.0", "foo 1.0", "foo>=", "foo>=1.0,", "foo>=1.0,,<2", "foo[bar", "foo[b@r]", "foo==latest",
    "foo<1.*", "foo>=1.*", "foo~=1", "foo~=1.*",
    "foo @", "foo @ https://x/y.whl extra", "foo;", "foo; ",
    "foo; bogus == '1'", "foo; python_version <", "foo; python_version = '3.12'", "foo; python_version < '3.12",
    "foo; python_version < '3.12' and", "foo; (python_version < '3.12'", "foo; python_version < '3.12')",
    "foo; python_version '3.12'",
])
def test_parse_requirement_rejects(text):
    with pytest.raises(ValueError):
        v.parse_requirement(text)


REQUIREMENTS_FILE = """\
# verl NPU extras
-r requirements.txt
--extra-index-url https://mirror.example/simple
-i https://pypi.example/simple

numpy<2.0.0   # torch_npu 2.7.1 is built against numpy 1.x
tensordict>=0.8.0,\\
<=0.10.0,!=0.9.0
peft>=0.15.2 --hash=sha256:0123abcd \\
    --hash=sha256:4567ef00
pkg @ https://mirror.example/pkg-1.0-py3-none-any.whl#egg=pkg
  # indented comment
foo; python_version < '3.12'  # trailing comment
-e git+https://github.com/volcengine/verl.git#egg=verl
# a comment ending in a backslash does not continue \\
bar
baz \\
"""


def test_requirement_lines():
    assert v.requirement_lines(REQUIREMENTS_FILE) == [
        "numpy<2.0.0",
        "tensordict>=0.8.0,<=0.10.0,!=0.9.0",
        "peft>=0.15.2",
        "pkg @ https://mirror.example/pkg-1.0-py3-none-any.whl#egg=pkg",
        "foo; python_version < '3.12'",
        "bar",
        "baz",
    ]


@pytest.mark.parametrize("text", [None, "", "\n\n", "# only a comment\n", "-r other.txt\n--no-binary :all:\n"])
def test_requirement_lines_of_nothing(text):
    assert v.requirement_lines(text) == []


# ---- markers ----------------------------------------------------------------------------

ENV = {"python_version": "3.11", "python_full_version": "3.11.13", "platform_machine": "aarch64",
       "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython",
       "platform_python_implementation": "CPython", "platform_release": "6.10.0-27-amd64"}


@pytest.mark.parametrize("marker, expected", [
    (None, True),
    ("", True),
    ("python_version < '3.12'", True),
    ('python_version >= "3.9"', True),
    ("python_version > '3.9'", True),               # a version compare: 3.11 > 3.9, unlike strings
    ("python_version < '3.9'", False),
    ("python_version == '3.11'", True),
    ("python_version == '3.11.0'", True),
    ("python_version != '3.11'", False),
    ("python_version == '3.*'", True),
    ("python_version ~= '3.9'", True),
    ("python_version ~= '3.12'", False),
    ("python_full_version >= '3.11.4'", True),
    ("python_full_version < '3.11.10'", False),     # 13 > 10 numerically
    ("python_full_version < '3.12.0rc1'", True),
    ("python_version in '3.10 3.11 3.12'", True),
    ("python_version not in '3.12 3.13'", True),
    ("'3.12' > python_version", True),              # the variable on the right
    ("'linux' == sys_platform", True),
    ("platform_release >= '6.9'", True),
    ("platform_machine == 'aarch64'", True),
    ("platform_machine != 'x86_64'", True),
    ("platform_machine in 'x86_64 aarch64'", True),
    ("platform_machine not in 'x86_64'", True),
    ("platform_machine < 'b'", True),               # other variables compare as strings
    ("platform_machine >= 'x86_64'", False),
    ("implementation_name === 'cpython'", True),
    ("sys_platform == 'win32'", False),
    ("platform_system == 'Linux' and os_name == 'posix'", True),
    ("platform_python_implementation == 'PyPy' or implementation_name == 'cpython'", True),
    ("sys_platform == 'linux' and python_version < '3.9' or os_name == 'posix'", True),   # and binds tighter
    ("sys_platform == 'linux' and (python_version < '3.9' or os_name == 'nt')", False),
    ("(sys_platform == 'linux' or sys_platform == 'darwin') and (platform_machine == 'aarch64')", True),
    ("((python_version >= '3.9'))", True),
    ("python_version<'3.12'and platform_machine=='aarch64'", True),
    ("  python_version < '3.12'  ", True),
    ("extra == 'gpu'", False),                      # a requirements file installs no extra
    ("'python_version' == 'python_version'", True),  # a string is not a variable
])
def test_evaluate_marker(marker, expected):
    assert v.evaluate_marker(marker, ENV) is expected


@pytest.mark.parametrize("marker, env", [
    ("bogus == '1'", ENV),                          # unknown variable
    ("os.name == 'posix'", ENV),
    ("python_version", ENV),
    ("python_version <", ENV),
    ("python_version = '3.12'", ENV),
    ("python_version < '3.12", ENV),
    ("python_version < '3.12' and", ENV),
    ("(python_version < '3.12'", ENV),
    ("python_version < '3.12')", ENV),
    ("python_version < '3.12' xor os_name == 'nt'", ENV),
    ("platform_machine ~= 'x86'", ENV),            # ~= needs versions
    ("python_full_version < '3.12'", {"python_version": "3.11"}),   # missing from env
    ("sys_platform == 'win32' and python_full_version < '3.12'", {"sys_platform": "linux"}),
    ("python_version < '3.12'", None),
])
def test_evaluate_marker_rejects(marker, env):
    with pytest.raises(ValueError):
        v.evaluate_marker(marker, env)


# ---- specifiers, through unmet ----------------------------------------------------------

@pytest.mark.parametrize("spec, installed, met", [
    ("==2.7.1", "2.7.1", True),
    ("==2.7.1", "2.7.1.0", True),
    ("==2.7.1", "2.7.1+cpu", True),                # a local build meets the public pin
    ("==2.7.1+cpu", "2.7.1+cpu", True),
    ("==2.7.1+cpu", "2.7.1", False),
    ("==2.7.1+cpu", "2.7.1+cu121", False),
    ("==2.7.1.post2", "2.7.1-post2", True),
    ("==2.7.1.post2", "2.7.1.post1", False),
    ("==25.3.RC1", "25.3.rc1", True),
    ("==25.3.rc1", "25.3.rc1.1", False),
    ("!=0.9.0", "0.9", False),
    ("!=0.9.0", "0.9.1", True),
    ("!=2.7.1", "2.7.1+cpu", False),
    ("==1.*", "1.9", True),
    ("==1.*", "1", True),
    ("==1.*", "1.0rc1", True),
    ("==1.*", "2.0", False),
    ("==1.*", "10.0", False),
    ("==1.4.*", "1.4", True),
    ("==1.4.*", "1.4.99+cpu", True),
    ("==1.4.*", "1.40", False),
    ("!=1.4.*", "1.4.2", False),
    ("!=1.4.*", "1.5", True),
    ("==25.3.rc1.*", "25.3.rc1.2", True),          # a pre-release prefix takes its hotfixes
    ("==25.3.rc1.*", "25.3.rc2", False),
    ("~=1.4.2", "1.4.2", True),
    ("~=1.4.2", "1.4.9", True),
    ("~=1.4.2", "1.4.1", False),
    ("~=1.4.2", "1.5.0", False),
    ("~=2.0", "2.9", True),
    ("~=2.0", "3.0", False),
    ("~=2.0", "2.0rc1", False),
    ("===weird", "weird", True),
    ("===weird", "WEIRD", True),
    ("===1.0", "1.0.0", False),                    # arbitrary equality is a string compare
    ("<2.0.0", "1.26.4", True),
    ("<2.0.0", "2.0.0", False),
    ("<2.0.0", "2.0.0rc1", False),                 # "<V" does not admit V's pre-releases...
    ("<2.0.0", "2.0.0.dev0", False),
    ("<2.0.0rc2", "2.0.0rc1", True),               # ...unless V is one
    ("<2.0.0", "1.99.post1", True),
    ("<=0.10.0", "0.10.0", True),
    ("<=0.10.0", "0.10.0+cpu", True),
    ("<=0.10.0", "0.10.1", False),
    (">2.7.1", "2.7.2", True),
    (">2.7.1", "2.7.1.post2", False),              # ">V" does not admit V's post-releases...
    (">2.7.1.post1", "2.7.1.post2", True),         # ...unless V is one
    (">2.7.1", "2.7.1+cpu", False),
    (">25.3.rc1", "25.3.rc1.1", True),             # a hotfix is a later build, not a post-release
    (">=0.15.2", "0.15.2", True),
    (">=0.15.2", "0.17.0rc1", True),               # pre-releases count when installed
    (">=0.15.2", "0.15.2rc1", False),
    (">=25.3.rc1", "25.3.RC1.B030", True),
    (">=8.3.RC1", "8.3.0", True),
    (">=1.0", "unknown", False),                   # garbage meets nothing...
    ("!=1.0", "unknown", False),                   # ...not even !=
    ("==1.*", "n/a", False),
])
def test_specifier(spec, installed, met):
    expected = [] if met else ["foo%s (found %s)" % (spec, installed)]
    assert v.unmet(["foo" + spec], {"foo": installed}, ENV) == expected


# ---- unmet over verl's requirements-npu.txt --------------------------------------------

REQUIREMENTS_NPU = """\
accelerate
codetiming
datasets
dill
hydra-core
numpy<2.0.0
pandas
peft>=0.15.2
pyarrow>=15.0.0
pybind11
pylatexenc
tensordict>=0.8.0,<=0.10.0,!=0.9.0
ray[default]
wandb
mathruler
torchdata
einops
qwen_vl_utils
hf_transfer
triton-ascend==3.2.0
"""

NODE = {"accelerate": "1.10.1", "codetiming": "1.4.0", "datasets": "4.0.0", "dill": "0.3.8", "hydra-core": "1.3.2",
        "numpy": "1.26.4", "pandas": "2.3.2", "peft": "0.17.1", "pyarrow": "21.0.0", "pybind11": "3.0.1",
        "pylatexenc": "2.10", "tensordict": "0.10.0", "ray": "2.49.1", "wandb": "0.21.3", "mathruler": "0.1.0",
        "torchdata": "0.11.0", "einops": "0.8.1", "qwen-vl-utils": "0.0.11", "hf-transfer": "0.1.9",
        "triton-ascend": "3.2.0", "torch": "2.7.1+cpu", "torch-npu": "2.7.1.post2"}


@pytest.mark.parametrize("edits, expected", [
    ({}, []),
    ({"numpy": "2.1.0"}, ["numpy<2.0.0 (found 2.1.0)"]),
    ({"numpy": "2.0.0rc1"}, ["numpy<2.0.0 (found 2.0.0rc1)"]),
    ({"numpy": "1.26.0"}, []),
    ({"peft": "0.15.2"}, []),
    ({"peft": "0.15.1"}, ["peft>=0.15.2 (found 0.15.1)"]),
    ({"peft": "0.18.0rc1"}, []),
    ({"pyarrow": "14.0.2"}, ["pyarrow>=15.0.0 (found 14.0.2)"]),
    ({"tensordict": "0.9.0"}, ["tensordict>=0.8.0,<=0.10.0,!=0.9.0 (found 0.9.0)"]),
    ({"tensordict": "0.9"}, ["tensordict>=0.8.0,<=0.10.0,!=0.9.0 (found 0.9)"]),
    ({"tensordict": "0.9.1"}, []),
    ({"tensordict": "0.8.0"}, []),
    ({"tensordict": "0.7.9"}, ["tensordict>=0.8.0,<=0.10.0,!=0.9.0 (found 0.7.9)"]),
    ({"tensordict": "0.10.1"}, ["tensordict>=0.8.0,<=0.10.0,!=0.9.0 (found 0.10.1)"]),
    ({"triton-ascend": "3.2.0rc4"}, ["triton-ascend==3.2.0 (found 3.2.0rc4)"]),
    ({"triton-ascend": "3.2"}, []),
    ({"triton-ascend": "3.2.0+gitabc123"}, []),
    ({"triton-ascend": None}, ["triton-ascend==3.2.0 (not installed)"]),   # None is absent, as versions.py reports it
    ({"qwen-vl-utils": None}, ["qwen_vl_utils (not installed)"]),
    ({"ray": None}, ["ray[default] (not installed)"]),
    ({"numpy": "2.1.0", "triton-ascend": None, "accelerate": None},        # input order, not edit order
     ["accelerate (not installed)", "numpy<2.0.0 (found 2.1.0)", "triton-ascend==3.2.0 (not installed)"]),
])
def test_unmet_requirements_npu(edits, expected):
    installed = dict(NODE, **edits)
    assert v.unmet(v.requirement_lines(REQUIREMENTS_NPU), installed, ENV) == expected


def test_unmet_takes_file_text_and_unnormalised_names():
    installed = dict((name.replace("-", "_").upper(), version) for name, version in NODE.items())
    del installed["HF_TRANSFER"]
    assert v.unmet(REQUIREMENTS_NPU, installed, ENV) == ["hf_transfer (not installed)"]


@pytest.mark.parametrize("requirements, installed, expected", [
    (["torch_npu==2.7.1.post2"], {}, ["torch_npu==2.7.1.post2 (not installed)"]),
    (["torch_npu==2.7.1.post2"], {"torch-npu": "2.7.1-post2"}, []),
    (["torch==2.7.1"], {"torch": "2.7.1+cpu"}, []),
    (["pkg @ https://x/y.whl"], {"pkg": "1.0"}, ["pkg @ https://x/y.whl (a URL requirement)"]),
    (["pkg @ https://x/y.whl ; python_version < '3.9'"], {}, []),
    (["foo; python_version < '3.11'"], {}, []),                            # false marker: met
    (["foo; python_version >= '3.11'"], {}, ["foo; python_version >= '3.11' (not installed)"]),
    (["foo>=2; platform_machine == 'x86_64'", "foo>=1; platform_machine == 'aarch64'"], {"foo": "1.5"}, []),
    (["ray[default]>=2.40"], {"ray": "2.39.0"}, ["ray[default]>=2.40 (found 2.39.0)"]),
    ([], {"foo": "1"}, []),
])
def test_unmet_cases(requirements, installed, expected):
    assert v.unmet(requirements, installed, ENV) == expected


@pytest.mark.parametrize("requirements, env", [
    (["./local.whl"], ENV),
    (["-r other.txt"], ENV),
    (["foo; python_full_version < '3.12'"], {"python_version": "3.11"}),
    (["foo; python_version < '3.12'"], None),
])
def test_unmet_rejects(requirements, env):
    with pytest.raises(ValueError):
        v.unmet(requirements, {"foo": "1.0"}, env)
