"""The portal simulator (``$ONETRANS_PORTAL``, the onetrans-portal binary) as a child process
on a free port of 127.0.0.1, with the vendor's example apps and one SM2 app."""

import os
import subprocess
import threading

import pytest

APP_ID = "zxm3QCh5RA5SrXm2C3b5JDcGAHMtepFN"
APP_KEY = "St72fYdfk6ph4YiFpMwa4yw8Tyr8wCmM"
# An SM2 app with the key pairs of the spec's vectors (vectors.json, sm2.keys).
SM2_APP_ID = "SM2TestApp0000000000000000000001"
SM2_APP_KEY = "SM2TestSecret000000000000000001"
CLIENT_PRV_KEY = "AFA3F4908938DFE9BD560A23E7160ECEB0579FCBD526803CB02E56643EA0E1B0"
CLIENT_PUB_KEY = (
    "0444B4B876E7C2FBD2932391323431C0EDADDE62218647AF639564C633AD357AFE"
    "18B4BE1BA4354D114EF9347FB5F698A5A3D5E7BFE1C476A2082FE89F7C6C4F94"
)
SERVER_PRV_KEY = "20719101D4A830E974FA9FC1FF978F8B69C2C2129224D002726AF78C26E9FD76"
SERVER_PUB_KEY = (
    "047DA2F9B9B068936A33F4A8A71C7B305DC8CE398905B5DCEB0C209130011ECDA6F0"
    "2373E071FB6D37BF10C21457CBC9DBD0115073F55C1A2ECBC0B5A9308EB2B4"
)
PREFIX = "listening on "


def start_simulator():
    binary = os.environ.get("ONETRANS_PORTAL")
    if not binary:
        raise RuntimeError("ONETRANS_PORTAL=path of onetrans-portal is needed")
    app = f"{SM2_APP_ID}={SM2_APP_KEY},sm2:{CLIENT_PUB_KEY},portalPrv:{SERVER_PRV_KEY}"
    proc = subprocess.Popen(
        [binary, "--port", "0", "--app", app],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        encoding="utf-8",
    )
    for line in proc.stdout:
        if PREFIX in line:
            url = line.split(PREFIX, 1)[1].strip()
            # Keep draining its output so that it never blocks on a full pipe.
            threading.Thread(target=proc.stdout.read, daemon=True).start()
            return proc, url
    proc.kill()
    raise RuntimeError("the simulator did not start")


@pytest.fixture(scope="session")
def portal():
    proc, url = start_simulator()
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
