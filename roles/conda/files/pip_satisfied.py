"""Are these requirements already met in this env?  Arguments are requirement strings or
requirements files; prints the unmet ones and exits 1 if there are any.  Reads installed
metadata only (pip's own packaging), so an up-to-date env costs no pip resolver run.
Not followed: extras' own dependencies; URL requirements always count as unmet,
options lines in files are skipped."""
from importlib import metadata
import os
import sys

from pip._vendor.packaging.requirements import InvalidRequirement, Requirement


def lines(args):
    for arg in args:
        if os.path.isfile(arg):
            with open(arg) as f:
                for line in f:
                    line = line.split("#", 1)[0].strip()
                    if line and not line.startswith("-"):     # options (-r, --index-url, ...)
                        yield line
        else:
            yield arg


unmet = []
for text in lines(sys.argv[1:]):
    try:
        req = Requirement(text)
    except InvalidRequirement:
        unmet.append(text)
        continue
    if req.url or (req.marker is not None and not req.marker.evaluate()):
        if req.url:
            unmet.append(text)
        continue
    try:
        version = metadata.version(req.name)
    except metadata.PackageNotFoundError:
        unmet.append(text)
        continue
    if not req.specifier.contains(version, prereleases=True):
        unmet.append("%s (found %s)" % (text, version))
if unmet:
    print("\n".join(unmet))
    sys.exit(1)
