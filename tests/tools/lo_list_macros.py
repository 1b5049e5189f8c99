"""List the Basic modules LibreOffice imported from a workbook's VBA project, as JSON.

Run with the system Python that has LibreOffice's ``uno`` module (python3-uno), not the
project's virtualenv: ``/usr/bin/python3 lo_list_macros.py WORKBOOK PROFILE_DIR``. It starts a
private headless soffice, loads the workbook (macros imported, not run) and prints
``{library: {module: source}}`` for the document's Basic libraries.
"""

import json
import pathlib
import subprocess
import sys
import time

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(workbook, profile):
    pipe = f"kaxl_lo_{abs(hash(profile))}"
    office = subprocess.Popen(["soffice", f"-env:UserInstallation={pathlib.Path(profile).as_uri()}", "--headless",
                               "--invisible", "--norestore", "--nologo", f"--accept=pipe,name={pipe};urp;"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        for _ in range(600):  # up to 60 s for a first start that creates the profile
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                time.sleep(0.1)
        else:
            raise SystemExit("soffice did not start")
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        url = pathlib.Path(workbook).resolve().as_uri()
        # MacroExecutionMode 0 = NEVER_EXECUTE: the VBA is imported as Basic source, never run.
        doc = desktop.loadComponentFromURL(url, "_blank", 0, (prop("Hidden", True), prop("MacroExecutionMode", 0)))
        out = {}
        libraries = doc.BasicLibraries
        for name in libraries.getElementNames():
            libraries.loadLibrary(name)
            library = libraries.getByName(name)
            out[name] = {module: library.getByName(module) for module in library.getElementNames()}
        doc.close(True)
        print(json.dumps(out))
    finally:
        office.terminate()
        try:
            office.wait(20)
        except subprocess.TimeoutExpired:
            office.kill()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
