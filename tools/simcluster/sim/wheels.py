"""Stub wheels: installable with pip, with the real distribution name, version and package
directory, for what cannot be installed or run here (torch_npu needs an NPU, torch is 800 MB,
triton-ascend needs CANN's compiler).  Each module says what it is:

    >>> import torch_npu; torch_npu.SIMCLUSTER_STUB
    True

Deterministic bytes (fixed order and timestamps), so SHA256SUMS are stable.
"""

import base64
import hashlib
import io
import re
import zipfile

STAMP = (2026, 1, 1, 0, 0, 0)


def normalise(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def header(name, version):
    """The start of every stub package's __init__.py: what it is, its version, the marker."""
    return ('"""simcluster stub of %s %s: the name and version are real, the code is not."""\n'
            '__version__ = "%s"\nSIMCLUSTER_STUB = True\n' % (name, version, version))


def build(name, version, packages=None, files=None, requires=(), tag="py3-none-any"):
    """-> (file name, bytes).  packages: top-level import names (default: the dist name);
    files: extra {path: text} (e.g. a fake extension module)."""
    dist = normalise(name)
    info = "%s-%s.dist-info" % (dist, version)
    content = {}
    for pkg in packages or [dist]:
        content["%s/__init__.py" % pkg] = header(name, version)
    for path, text in sorted((files or {}).items()):
        content[path] = text
    meta = ["Metadata-Version: 2.1", "Name: %s" % name, "Version: %s" % version,
            "Summary: simcluster stub (not the real %s)" % name]
    meta += ["Requires-Dist: %s" % r for r in requires]
    content[info + "/METADATA"] = "\n".join(meta) + "\n"
    content[info + "/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: simcluster\nRoot-Is-Purelib: true\nTag: %s\n"
                                % tag)
    content[info + "/top_level.txt"] = "\n".join(packages or [dist]) + "\n"
    record = [_record_line(p, t.encode()) for p, t in sorted(content.items())]
    content[info + "/RECORD"] = "\n".join(record + [info + "/RECORD,,"]) + "\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(content):
            entry = zipfile.ZipInfo(path, STAMP)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, content[path])
    return "%s-%s-%s.whl" % (dist, version, tag), out.getvalue()
