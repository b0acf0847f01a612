"""Are these requirements already met in this env?  Arguments are requirement strings or
requirements files; prints the unmet ones and exits 1 if there are any.  Reads installed
metadata only (pip's own packaging), so an up-to-date env costs no pip resolver run.
With --print-python first, the interpreter's version comes first, on a line of its own,
before anything that could fail (the conda role reads it to guard an existing env).
Not followed: extras' own dependencies; URL requirements always count as unmet,
options lines in files are skipped."""
import os
import platform
import sys
from importlib import metadata


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


def unmet(args):
    from pip._vendor.packaging.requirements import InvalidRequirement, Requirement
    out = []
    for text in lines(args):
        try:
            req = Requirement(text)
        except InvalidRequirement:
            out.append(text)
            continue
        if req.url:
            out.append(text)
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            version = metadata.version(req.name)
        except metadata.PackageNotFoundError:
            out.append(text)
            continue
        if not req.specifier.contains(version, prereleases=True):
            out.append("%s (found %s)" % (text, version))
    return out


def main(args):
    if args[:1] == ["--print-python"]:
        print(platform.python_version())
        sys.stdout.flush()
        args = args[1:]
    missing = unmet(args)
    if missing:
        print("\n".join(missing))
        return 1
    return 0


sys.exit(main(sys.argv[1:]))
