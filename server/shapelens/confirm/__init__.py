"""The optional second opinion from torch.

A separate worker process (``python -m shapelens.confirm.worker``) runs a model's forward on
torch's ``meta`` device and reports the shape of every tensor on every line. This package holds:

- ``loader``   -- keeps only the safe part of a file (imports, definitions, constants) so a
                  model can be built without running the file's script code; pure Python.
- ``importer`` -- a ``sys.meta_path`` finder that loads workspace modules through the loader.
- ``worker``   -- the worker process itself; the only module here that imports torch.
- ``client``   -- spawns, times out, cancels and restarts the worker; pure stdlib.
- ``messages`` -- restates torch's terse error messages in the product's words; pure.

Nothing importable from the language server (everything but ``worker``) imports torch,
pygls or lsprotocol.
"""
