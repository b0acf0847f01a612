"""simcluster: helpers of the stub packages.  Import-time names exist so that modules which
annotate with them, subclass them or probe them import; nothing computes: calling what would
compute raises NotImplementedError("simcluster stub: <name>")."""


def unimplemented(qualname):
    def stub(*args, **kwargs):
        raise NotImplementedError("simcluster stub: %s" % qualname)
    stub.__name__ = qualname.rsplit(".", 1)[-1]
    stub.__qualname__ = qualname
    return stub


def define(namespace, module, names):
    """namespace[name] = a function raising NotImplementedError, for each name."""
    for name in names.split():
        namespace[name] = unimplemented("%s.%s" % (module, name))


class Unimplemented:
    """A class that can be named, subclassed and isinstance-checked, never instantiated."""

    def __init__(self, *args, **kwargs):
        raise NotImplementedError("simcluster stub: %s" % type(self).__qualname__)


def passthrough_decorator(*args, **kwargs):
    """@deco and @deco(...) both leave the function as it is (torch.compile, jit.script...)."""
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return lambda fn: fn
