"""A Modbus TCP device for grid-scada's tests (pymodbus, pinned by scripts/install-deps).

    python modbus_sim.py --port PORT [--reuse-port] --spec SPEC.json --writes WRITES.log \
        [--requests REQUESTS.log]

PORT 0 lets the system pick a free port; the port listened on is printed as `port=N` on
standard output once the device accepts connections (so no test guesses a free port).
--reuse-port sets SO_REUSEPORT, so the device can listen on a port the test holds reserved
(bound with SO_REUSEPORT, not listening) while the device is away.

SPEC: {"unit": 1, "holding": {"0": [1, 2, ...], "100": [...]}, "input": {...},
"counters": [address, ...], "identity": {"vendor": …, "product": …, "revision": …}}: blocks of registers by start address; any other address answers
exception 2 (illegal data address). A holding register listed in "counters" counts up by one
each time it is read, so every poll sees a new value. With "identity", the device answers
read device identification (function 43/14) with it.
Every write request a client sends is appended to WRITES (the poller must never send one);
with --requests, every request the device receives (reads included) is appended to REQUESTS
as `fc=N unit=N address=N`, so a test can show what never reached the device.
"""
import argparse
import asyncio
import json
from functools import partial

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.datastore.store import BaseModbusDataBlock
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import ModbusTcpServer


class SparseBlock(BaseModbusDataBlock):
    """Several address ranges; writes from clients are logged."""

    def __init__(self, ranges, writes, counters=()):
        self.ranges = {int(a): list(v) for a, v in ranges.items()}
        self.writes = writes
        self.counters = set(counters)
        self.address = 0
        self.default_value = 0
        self.values = {}

    def _find(self, address, count):
        for start, vals in self.ranges.items():
            if start <= address and address + count <= start + len(vals):
                return start, vals
        return None

    def validate(self, address, count=1):
        return self._find(address, count) is not None

    def getValues(self, address, count=1):
        start, vals = self._find(address, count)
        out = vals[address - start : address - start + count]
        for c in self.counters:
            if address <= c < address + count:
                vals[c - start] = (vals[c - start] + 1) % 65536
        return out

    def setValues(self, address, values):
        with open(self.writes, "a", encoding="utf-8") as f:
            f.write(f"write {address} {values}\n")
        found = self._find(address, len(values) if isinstance(values, list) else 1)
        if found:
            start, vals = found
            vals[address - start : address - start + len(values)] = values


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--reuse-port", action="store_true")
    p.add_argument("--spec", required=True)
    p.add_argument("--writes", required=True)
    p.add_argument("--requests")
    a = p.parse_args()
    with open(a.spec, encoding="utf-8") as f:
        spec = json.load(f)
    empty = ModbusSequentialDataBlock(0, [0])
    slave = ModbusSlaveContext(
        di=empty,
        co=empty,
        hr=SparseBlock(spec.get("holding", {}), a.writes, spec.get("counters", [])),
        ir=SparseBlock(spec.get("input", {}), a.writes),
        zero_mode=True,
    )
    context = ModbusServerContext(slaves={spec.get("unit", 1): slave}, single=False)
    tracer = None
    if a.requests:
        def tracer(request, *_addr):
            with open(a.requests, "a", encoding="utf-8") as f:
                address = getattr(request, "address", 0) or 0
                f.write(f"fc={request.function_code} unit={request.slave_id} address={address}\n")
    identity = None
    if "identity" in spec:
        i = spec["identity"]
        identity = ModbusDeviceIdentification(
            info_name={
                "VendorName": i["vendor"],
                "ProductCode": i["product"],
                "MajorMinorRevision": i["revision"],
            }
        )
    server = ModbusTcpServer(
        context=context,
        identity=identity,
        address=("127.0.0.1", a.port),
        request_tracer=tracer,
    )
    # pymodbus binds through loop.create_server; the same call, with SO_REUSEPORT when asked.
    server.call_create = partial(
        asyncio.get_running_loop().create_server,
        server.handle_new_connection,
        "127.0.0.1",
        a.port,
        reuse_address=True,
        reuse_port=a.reuse_port,
        start_serving=True,
    )
    if not await server.listen():
        raise SystemExit(f"cannot listen on port {a.port}")
    print(f"port={server.transport.sockets[0].getsockname()[1]}", flush=True)
    await server.serving


if __name__ == "__main__":
    asyncio.run(main())
